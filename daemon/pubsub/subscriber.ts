import type { NotificationName, Outgoing } from '../../src/protocol/notifications.js';

/** Someone who can receive notifications: a connection. */
export interface Subscriber {
  readonly id: number;
  notify<N extends NotificationName>(name: N, params: Outgoing<N>): void;
  readonly isOpen: boolean;
  /** Output queued for it and not yet taken by the other side: what limits a slow reader. */
  readonly pendingBytes: number;
  /** When its queued output last ran dry (Date.now()): a slow spell before that is over. */
  readonly drainedAt: number;
}
