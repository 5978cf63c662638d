import type { NotificationName, Outgoing } from '../../src/protocol/notifications.js';
import type { Identity } from '../identity/identity.js';
import type { NodeCalls } from '../mesh/node-calls.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { Caller } from '../server/caller.js';

/** Subscriber ids of remote callers, apart from the local connections' in the logs. */
let nextId = 1_000_001;

/**
 * A connection of another node, as the calls and streams it makes here see it:
 * the caller of its forwarded calls and the subscriber of its streams, whose
 * notifications go back to it over the mesh (tagged with their topic). What it
 * may leave unsent is the link's output toward it: a stream to it lags, and
 * ends, by the same rule as a local subscriber's.
 */
export class RemoteCaller implements Caller {
  readonly id = nextId++;
  readonly transport = 'mesh' as const;
  readonly peer: string;
  private released = false;

  constructor(
    private readonly me: string,
    readonly origin: string,
    readonly conn: string,
    public identity: Identity,
    /** The linked peer its last call came through: the way back while no route to its node is known. */
    public via: string,
    private readonly calls: NodeCalls,
  ) {
    this.peer = `${origin} (connection ${conn})`;
  }

  get isOpen(): boolean {
    return !this.released && this.calls.linkToward(this.origin, this.via)?.isOpen === true;
  }

  get pendingBytes(): number {
    return this.calls.linkToward(this.origin, this.via)?.pendingBytes ?? 0;
  }

  get drainedAt(): number {
    return this.calls.linkToward(this.origin, this.via)?.drainedAt ?? 0;
  }

  notify<N extends NotificationName>(name: N, params: Outgoing<N>, topic?: string): void {
    if (this.released || topic === undefined) return;
    const { me, origin, conn } = this;
    this.calls.notify(origin, 'stream', { to: origin, from: me, conn, topic, name, params }, this.via);
  }

  /** Each in a `stream` message of its own: the node that asked unwraps and hands them on one by one. */
  notifyAll<N extends NotificationName>(name: N, params: readonly Outgoing<N>[], topic: string): void {
    for (const one of params) this.notify(name, one, topic);
  }

  release(): void {
    this.released = true;
  }
}

/**
 * The connections of other nodes that call here: one RemoteCaller per origin
 * and connection, kept while it holds a subscription, dropped when its node
 * releases it (it closed, or unsubscribed) or goes out of reach.
 */
export class RemoteCallers {
  private readonly callers = new Map<string, RemoteCaller>();

  constructor(
    private readonly me: string,
    private readonly calls: NodeCalls,
    private readonly subscriptions: Subscriptions,
  ) {}

  get(origin: string, conn: string, identity: Identity, via: string): RemoteCaller {
    const key = keyOf(origin, conn);
    let caller = this.callers.get(key);
    if (caller === undefined) {
      caller = new RemoteCaller(this.me, origin, conn, identity, via, this.calls);
      this.callers.set(key, caller);
    }
    caller.identity = identity;
    caller.via = via;
    return caller;
  }

  /** `identity` may no longer read what it subscribed to here: each of its streams ends, its node told `why`. */
  endIdentity(identity: string, why: string): void {
    for (const caller of [...this.callers.values()]) {
      if (caller.identity.name !== identity) continue;
      // Ended as a local connection's streams are (each told why, with its cursor), then forgotten.
      this.subscriptions.endEvery(caller, why);
      this.forget(caller);
    }
  }

  /** After a call: a caller that subscribes to nothing is not kept. */
  settle(caller: RemoteCaller): void {
    if (!this.subscriptions.subscribed(caller)) this.forget(caller);
  }

  /** Its node no longer wants `topic` (or anything, when null). */
  release(origin: string, conn: string, topic: string | null): void {
    const caller = this.callers.get(keyOf(origin, conn));
    if (caller === undefined) return;
    if (topic === null) this.forget(caller);
    else {
      this.subscriptions.unsubscribe(topic, caller);
      this.settle(caller);
    }
  }

  /** Its node went out of reach: its streams end (it subscribes again when it is back). */
  dropOrigin(origin: string): void {
    for (const caller of [...this.callers.values()]) if (caller.origin === origin) this.forget(caller);
  }

  get size(): number {
    return this.callers.size;
  }

  private forget(caller: RemoteCaller): void {
    caller.release();
    this.subscriptions.drop(caller);
    this.callers.delete(keyOf(caller.origin, caller.conn));
  }
}

function keyOf(origin: string, conn: string): string {
  return `${origin}\u0000${conn}`;
}
