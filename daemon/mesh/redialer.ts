/** The first wait before redialling a peer; it doubles after each failure, up to the maximum. */
const FIRST_MS = 100;

/**
 * Keeps a saved peer linked: dials it when there is no link, and after a failure
 * waits twice as long as before (up to `maxMs`), so a peer that is down costs
 * little. A link that comes up resets the wait; one that ends is redialled soon.
 */
export class Redialer {
  private delay = FIRST_MS;
  private timer: NodeJS.Timeout | undefined;
  private dialing = false;
  private stopped = false;
  lastError: string | null = null;

  constructor(
    private readonly dial: () => Promise<unknown>,
    private readonly linked: () => boolean,
    private readonly maxMs: number,
  ) {}

  /** Dials after `delay` ms unless linked by then. */
  schedule(delay = this.delay): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, delay);
  }

  /** The link ended: try again soon. */
  linkClosed(): void {
    this.delay = FIRST_MS;
    this.schedule();
  }

  get waiting(): boolean {
    return this.timer !== undefined || this.dialing;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.dialing || this.linked()) return;
    this.dialing = true;
    try {
      await this.dial();
      this.delay = FIRST_MS;
      this.lastError = null;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.delay = Math.min(this.delay * 2, this.maxMs);
      this.schedule();
    } finally {
      this.dialing = false;
    }
  }
}
