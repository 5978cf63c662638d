import { CortexError } from '../../src/protocol/errors.js';
import { parseParams } from '../../src/protocol/method-params.js';
import { isMethodName, type MethodName } from '../../src/protocol/methods.js';
import { isNodeMethod } from '../../src/protocol/tree-types.js';
import type { ForwardedIdentities } from '../access/forwarded-identity.js';
import type { Handler, HandlerTable } from '../handlers/types.js';
import type { Logger } from '../logger.js';
import type { NodeServer } from '../mesh/node-calls.js';
import type { ForwardRequest, ReleaseMessage, StreamMessage } from '../mesh/wire.js';
import { withoutAddress } from './addresses.js';
import type { Locator } from './locator.js';
import type { RemoteCallers } from './remote-callers.js';
import type { RemoteStreams } from './remote-streams.js';

/** The method a node asks with whether it holds an object (`{id}` → `{held}`); only nodes call it. */
export const LOCATE = 'locate';

/** Topics whose streams another node may subscribe to here; tables replicate instead, and the rest are this node's own. */
const FORWARDED_TOPICS = ['session:', 'sessions:', 'fs:', 'workspace:', 'term:'];

export interface ServerContext {
  identities: ForwardedIdentities;
  /** Checks the origin's signature of a call that came through other nodes (Mesh.checkProof). */
  proofs(request: ForwardRequest): void;
  callers: RemoteCallers;
  streams: RemoteStreams;
  locator: Locator;
  /** The handlers of this node's own objects (never forwarding further). */
  local: HandlerTable;
  log: Logger;
}

/**
 * This node's side of calls from other nodes: it runs a forwarded call of a
 * node family (or subscribe and unsubscribe) for the caller's identity as this
 * node accepts it, with the stand-in of the calling connection as the caller,
 * and takes the streams other nodes send for this node's connections.
 */
export class TreeServer implements NodeServer {
  constructor(private readonly ctx: ServerContext) {}

  async execute(request: ForwardRequest, linkPeer: string): Promise<unknown> {
    const { ctx } = this;
    if (request.method === LOCATE) {
      // Whether an object is here says little (its id is random): any node the links vouch for may ask.
      this.logRefusal(request, () => ctx.identities.vouch(request, linkPeer, () => ctx.proofs(request)));
      const id = request.params['id'];
      return { held: typeof id === 'string' && ctx.locator.holdsLocally(id) };
    }
    const method = forwardable(request.method);
    const identity = this.logRefusal(request, () =>
      ctx.identities.accept(request, linkPeer, () => ctx.proofs(request)),
    );
    const params = withoutAddress(parseParams(method, request.params));
    if (method === 'subscribe' || method === 'unsubscribe') {
      topicForwardable(String((params as { topic?: unknown }).topic));
    }
    const caller = ctx.callers.get(request.route[0]!, request.conn, identity, linkPeer);
    try {
      return await (ctx.local[method] as Handler<MethodName>)(params, { identity, caller });
    } finally {
      ctx.callers.settle(caller);
    }
  }

  /** Who a call is from, found by `accept`; a refusal is logged before it is answered. */
  private logRefusal<T>(request: ForwardRequest, accept: () => T): T {
    try {
      return accept();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.ctx.log.warn(`tree: ${request.method} from ${request.route.join(' → ')} refused: ${why}`);
      throw error;
    }
  }

  deliver(message: StreamMessage): void {
    this.ctx.streams.deliver(message);
  }

  release(message: ReleaseMessage): void {
    this.ctx.callers.release(message.from, message.conn, message.topic);
  }
}

function forwardable(method: string): MethodName {
  if (isMethodName(method) && (isNodeMethod(method) || method === 'subscribe' || method === 'unsubscribe')) {
    return method;
  }
  throw new CortexError(
    'EACCES',
    `${JSON.stringify(method)} may not be called from another node: only the methods of projects, workspaces, sessions, files and terminals may.`,
  );
}

function topicForwardable(topic: string): void {
  if (FORWARDED_TOPICS.some((prefix) => topic.startsWith(prefix))) return;
  throw new CortexError(
    'EINVAL',
    `${JSON.stringify(topic)} cannot be subscribed to on another node (tables replicate; subscribe where you are).`,
  );
}
