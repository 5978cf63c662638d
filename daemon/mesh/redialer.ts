/** The first wait before redialling a peer; it doubles after each failure, up to the maximum. */
const FIRST_MS = 100;
/** A link that stayed up this long was a good one: when it ends, the peer is redialled at once. */
const STABLE_MS = 10_000;

/**
 * Keeps a peer linked: dials it when there is no link, and after a failure waits
 * twice as long as before (up to `maxMs`), so a peer that is down, or refuses,
 * costs little and logs little. A link that ends after being up a while is
 * redialled soon; one that ends at once (refused after its hello, cut again and
 * again) counts as a failure, so a peer that keeps refusing is not redialled nine
 * times a second.
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

  /** A link that was up ended after `upMs`: try again, soon after a good link, later after a short one. */
  linkClosed(upMs: number): void {
    if (upMs >= STABLE_MS) this.delay = FIRST_MS;
    else this.backOff();
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

  private backOff(): void {
    this.delay = Math.min(this.delay * 2, this.maxMs);
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.dialing || this.linked()) return;
    this.dialing = true;
    try {
      await this.dial();
      this.lastError = null;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.backOff();
      this.schedule();
    } finally {
      this.dialing = false;
    }
  }
}
