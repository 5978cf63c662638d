import type { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { NotificationName, Outgoing } from '../../src/protocol/notifications.js';

/** Someone who can receive notifications: a connection (or, for a stream another node asked for, that node's connection). */
export interface Subscriber {
  readonly id: number;
  /**
   * `topic`: what it is sent for (a subscriber relaying it to another node says so there).
   * `encoded`: the same notification already encoded whole, for a subscriber that writes it as is.
   */
  notify<N extends NotificationName>(name: N, params: Outgoing<N>, topic?: string, encoded?: RawMsgpack): void;
  /**
   * Several notifications of one topic, in order. `encoded`: all of them encoded whole and back to back (shared
   * with other subscribers: written as it is, never changed).
   */
  notifyAll<N extends NotificationName>(
    name: N,
    params: readonly Outgoing<N>[],
    topic: string,
    encoded: Uint8Array,
  ): void;
  readonly isOpen: boolean;
  /** Output queued for it and not yet taken by the other side: what limits a slow reader. */
  readonly pendingBytes: number;
  /** When its queued output last ran dry (Date.now()): a slow spell before that is over. */
  readonly drainedAt: number;
}
