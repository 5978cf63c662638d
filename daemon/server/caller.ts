import type { Identity } from '../identity/identity.js';
import type { Subscriber } from '../pubsub/subscriber.js';

/** The connection a call came on: its identity changes when it authenticates. */
export interface Caller extends Subscriber {
  readonly transport: 'unix' | 'tls' | 'mesh';
  identity: Identity;
  /** Where it comes from, for logs: a pid or an address. */
  readonly peer: string;
}

/** A request's answer, for a handler that gives it without a promise (see ANSWERED). */
export interface Answer {
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** Who is calling, on which connection. */
export interface CallContext {
  identity: Identity;
  caller: Caller;
  /**
   * The request's answer, when a connection's request is answered by the dispatcher (not a notification, not
   * a call forwarded by another node): a handler may take it in hand, answering it once, and return ANSWERED.
   */
  answer?: Answer;
}

/** What a handler returns once it has taken the request's answer (CallContext.answer) in hand: nothing is sent for it. */
export const ANSWERED: unique symbol = Symbol('answered');
