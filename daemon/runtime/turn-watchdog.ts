/** What the watchdog of a turn is told to watch for. */
export interface WatchdogSettings {
  /** Silence after which `stalled` is called (once per silence). */
  stallMs: number;
  /** Running time after which `timedOut` is called; 0: never. */
  timeoutMs: number;
}

/**
 * Watches a running turn for silence and for its running time. Time spent waiting for a person (an
 * approval) counts for neither: the turn is paused then, not stalled.
 */
export class TurnWatchdog {
  private stallTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private lastEvent = Date.now();
  /** Running time left before the timeout, kept while paused. */
  private remainingMs: number;
  private runningSince = Date.now();
  private paused = false;
  private stopped = false;

  constructor(
    private readonly settings: WatchdogSettings,
    private readonly stalled: (silentMs: number) => void,
    private readonly timedOut: (afterMs: number) => void,
  ) {
    this.remainingMs = settings.timeoutMs;
    this.armStall();
    this.armTimeout();
  }

  /** The turn produced an event (called for every one: the timer is not moved, it looks when it fires). */
  touch(): void {
    this.lastEvent = Date.now();
  }

  /** A person is being asked: neither silence nor running time counts until `resume`. */
  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    clearTimeout(this.stallTimer);
    clearTimeout(this.timeoutTimer);
    this.remainingMs -= Date.now() - this.runningSince;
  }

  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    this.lastEvent = Date.now();
    this.runningSince = Date.now();
    this.armStall();
    this.armTimeout();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.stallTimer);
    clearTimeout(this.timeoutTimer);
  }

  /** Fires `stallMs` after the last event; said once per silence (the next fire waits for a new event). */
  private armStall(delayMs = this.settings.stallMs): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => {
      const silentMs = Date.now() - this.lastEvent;
      if (silentMs < this.settings.stallMs) return this.armStall(this.settings.stallMs - silentMs);
      this.stalled(silentMs);
      this.waitForEvent(this.lastEvent);
    }, delayMs);
  }

  /** After a stall: look again once an event came, without a timer per event. */
  private waitForEvent(since: number): void {
    this.stallTimer = setTimeout(() => {
      if (this.lastEvent === since) return this.waitForEvent(since);
      this.armStall(this.settings.stallMs - (Date.now() - this.lastEvent));
    }, this.settings.stallMs);
  }

  private armTimeout(): void {
    if (this.settings.timeoutMs === 0) return;
    this.timeoutTimer = setTimeout(() => this.timedOut(this.settings.timeoutMs), Math.max(0, this.remainingMs));
  }
}
