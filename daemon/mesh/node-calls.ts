import { CortexError } from '../../src/protocol/errors.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { Logger } from '../logger.js';
import type { CallProof, CallStatement } from './call-proof.js';
import type { PeerChannel } from './peer-channel.js';
import type { ForwardRequest, ReleaseMessage, StreamMessage } from './wire.js';

/** What runs the calls and takes the streams that are for this node (daemon/tree/). */
export interface NodeServer {
  execute(request: ForwardRequest, linkPeer: string): Promise<unknown>;
  /** A notification for one of this node's connections, from a node it subscribed on. */
  deliver(message: StreamMessage): void;
  /** A connection of another node no longer wants a stream from here. */
  release(message: ReleaseMessage): void;
}

export interface NodeCallsContext {
  me: string;
  /** The linked peer to send toward a node through, if the node is reachable. */
  nextHop(node: string): string | undefined;
  channel(peer: string): PeerChannel | undefined;
  /** The error of a call for a node that cannot be reached: who, and why. */
  unreachable(node: string): CortexError;
  /** This node's signature over a call it starts (node-signer.ts). */
  prove(statement: CallStatement): CallProof;
  log: Logger;
}

/** What the origin of a forwarded call signs of it: everything but the route, which relays add to. */
export function statementOf(request: ForwardRequest): CallStatement {
  const { identity, target, conn, method, params } = request;
  return { identity, origin: request.route[0] ?? '', target, conn, method, params };
}

/** Whether a call came through nodes other than its origin, so that only its signature says who sent it. */
export function isRelayed(request: ForwardRequest): boolean {
  return request.route.length > 1;
}

/**
 * Calls and streams between nodes with no link of their own: each message names
 * the node it is for and goes to the linked peer on the best route there, which
 * passes it on the same way (so a line a — b — c works). Requests come back as
 * answers along the way they went; errors come back unchanged, codes and all,
 * and a call whose link fails on the way fails with EUNREACHABLE naming the node.
 * A call this node starts for a node it has no link to is signed here, for the
 * target to know that the relays did not make it up (call-verifier.ts); a call
 * on the link to its target needs no signature, the link's certificate says who
 * sent it.
 */
export class NodeCalls {
  private server: NodeServer | undefined;

  constructor(private readonly ctx: NodeCallsContext) {}

  serve(server: NodeServer): void {
    this.server = server;
  }

  /** Sends a call to `request.target` and waits for its answer, at most `timeoutMs` (0: while the route lives). */
  async call(request: ForwardRequest, timeoutMs = 0): Promise<MsgValue> {
    const { target } = request;
    const hop = this.ctx.nextHop(target);
    const channel = hop === undefined ? undefined : this.ctx.channel(hop);
    if (channel === undefined || !channel.isOpen) throw this.ctx.unreachable(target);
    const answer = channel.request('forward', this.signedIfRelayed(request, hop), 0);
    if (timeoutMs <= 0) return answer.catch((error: unknown) => this.failed(target, channel, error));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const reason = `${target} did not answer ${request.method} within ${timeoutMs} ms`;
        reject(new CortexError('EUNREACHABLE', `${reason}.`, { node: target, reason: 'timed_out', last_heard: null }));
      }, timeoutMs);
    });
    answer.catch(() => undefined);
    try {
      return await Promise.race([answer.catch((error: unknown) => this.failed(target, channel, error)), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The call as it leaves: with this node's signature when it starts here and its first hop is not its target. */
  private signedIfRelayed(request: ForwardRequest, hop: string | undefined): ForwardRequest {
    const starts = request.route.length === 1 && request.route[0] === this.ctx.me;
    if (!starts || hop === request.target || request.proof !== undefined) return request;
    return { ...request, proof: this.ctx.prove(statementOf(request)) };
  }

  /**
   * Sends a notification toward node `to`; false when it cannot be reached now (the message is dropped).
   * `via`: the linked peer a call from `to` came through, used while no route to `to` is known yet.
   */
  notify(to: string, method: 'stream' | 'release', params: StreamMessage | ReleaseMessage, via?: string): boolean {
    const channel = this.linkToward(to, via);
    if (channel === undefined || !channel.isOpen) return false;
    channel.notify(method, params);
    return true;
  }

  /**
   * The link toward `node`, for what a stream to it may leave unsent (the lagged rule). A node that
   * just came back may call here before the news of it has: its answers, and its streams, go back
   * the way its call came (`via`) until then.
   */
  linkToward(node: string, via?: string): PeerChannel | undefined {
    const hop = this.ctx.nextHop(node) ?? via;
    return hop === undefined ? undefined : this.ctx.channel(hop);
  }

  /** A `forward` request from a linked peer: run here, or pass on toward its target. */
  incoming(request: ForwardRequest, linkPeer: string): Promise<unknown> {
    const { me } = this.ctx;
    const { route } = request;
    if (route[route.length - 1] !== linkPeer || route.includes(me) || new Set(route).size !== route.length) {
      this.ctx.log.warn(`mesh: ${linkPeer} sent a call with a bad route (${route.join(' → ')}); refused`);
      throw new CortexError('EACCES', `${me} refused a call with the route ${route.join(' → ')} from ${linkPeer}.`);
    }
    if (request.target === me) {
      if (this.server === undefined) throw new CortexError('EBUSY', `${me} is not ready for calls from other nodes.`);
      return this.server.execute(request, linkPeer);
    }
    return this.call({ ...request, route: [...route, me] });
  }

  /** A stream notification from a linked peer: take it, or pass it on toward its node. */
  incomingStream(message: StreamMessage): void {
    if (message.to === this.ctx.me) this.server?.deliver(message);
    else this.notify(message.to, 'stream', message);
  }

  incomingRelease(message: ReleaseMessage): void {
    if (message.to === this.ctx.me) this.server?.release(message);
    else this.notify(message.to, 'release', message);
  }

  /** A call that failed: the remote node's own error unchanged, or EUNREACHABLE when the link went on the way. */
  private failed(target: string, channel: PeerChannel, error: unknown): never {
    if (error instanceof CortexError && error.code === 'ECLOSED' && !channel.isOpen) throw this.ctx.unreachable(target);
    throw error;
  }
}
