import { CortexError } from '../../src/protocol/errors.js';

/**
 * A hybrid logical clock packed into one safe integer: wall-clock milliseconds
 * times 1000 plus a logical counter. It never goes backwards, stays close to
 * real time, and orders causally related writes even when clocks disagree. When
 * more than 1000 events fall in one millisecond the counter carries into the
 * milliseconds, which only moves the clock a little ahead. Safe until the year
 * 2255.
 */
export const HLC_PER_MS = 1000;

export class HybridClock {
  private last: number;

  constructor(
    private readonly now: () => number = Date.now,
    last = 0,
    /** How far ahead of local time a remote timestamp may be before it is refused. */
    readonly maxDriftMs = 60_000,
  ) {
    this.last = last;
  }

  /** A timestamp for a local event. */
  tick(): number {
    const physical = this.now() * HLC_PER_MS;
    this.last = physical > this.last ? physical : this.last + 1;
    return this.last;
  }

  /** Moves the clock past a timestamp received from elsewhere. */
  observe(remote: number): void {
    const limit = (this.now() + this.maxDriftMs) * HLC_PER_MS;
    if (remote > limit) {
      throw new CortexError(
        'EINVAL',
        `A timestamp ${Math.round((remote / HLC_PER_MS - this.now()) / 1000)} s ahead of this node's clock was refused.`,
      );
    }
    if (remote > this.last) this.last = remote;
  }

  get current(): number {
    return this.last;
  }
}
