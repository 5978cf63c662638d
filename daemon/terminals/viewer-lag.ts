import type { Subscriber } from '../pubsub/subscriber.js';

/**
 * The slow-viewer rule of a terminal stream: a viewer may fall behind for a
 * moment (a burst arrives faster than it reads), but not for longer than
 * `graceMs` past `maxPendingBytes` unread, and never past four times that.
 * Terminals apply it to their viewers; a stream relayed from another node's
 * terminal applies it again to the viewer here.
 */
export class ViewerLag {
  /** Since when each viewer that is behind has been behind. */
  private readonly behind = new Map<Subscriber, number>();

  constructor(
    private readonly maxPendingBytes: number,
    private readonly graceMs: number,
  ) {}

  /** Why the viewer should be dropped from the stream, if it should. */
  reason(viewer: Subscriber): string | undefined {
    const pending = viewer.pendingBytes;
    const limit = this.maxPendingBytes;
    if (pending <= limit) {
      this.behind.delete(viewer);
      return undefined;
    }
    if (pending > limit * 4) return `it left more than ${limit * 4} bytes of output unread`;
    const now = Date.now();
    const since = this.behind.get(viewer) ?? now;
    this.behind.set(viewer, since);
    if (now - since > this.graceMs)
      return `it left more than ${limit} bytes of output unread for over ${this.graceMs} ms`;
    return undefined;
  }

  forget(viewer: Subscriber): void {
    this.behind.delete(viewer);
  }
}
