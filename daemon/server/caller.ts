import type { Identity } from '../identity/identity.js';
import type { Subscriber } from '../pubsub/subscriber.js';

/** The connection a call came on: its identity changes when it authenticates. */
export interface Caller extends Subscriber {
  readonly transport: 'unix' | 'tls';
  identity: Identity;
  /** Where it comes from, for logs: a pid or an address. */
  readonly peer: string;
}

/** Who is calling, on which connection. */
export interface CallContext {
  identity: Identity;
  caller: Caller;
}
