import { CortexError } from '../../src/protocol/errors.js';
import { type MethodName, methods, type ParamsOf } from '../../src/protocol/methods.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { AUTO_NODE, isNodeMethod, type ListingParams } from '../../src/protocol/tree-types.js';
import type { Handler, HandlerTable } from '../handlers/types.js';
import type { CallContext } from '../server/caller.js';
import { addressOf, topicAddress, withoutAddress } from './addresses.js';
import type { Listings } from './listings.js';
import type { Locator } from './locator.js';
import type { Placement } from './placement.js';
import type { RemoteStreams } from './remote-streams.js';

export interface RouterContext {
  me: string;
  /** The handlers of this node's own objects. */
  local: HandlerTable;
  locator: Locator;
  streams: RemoteStreams;
  listings: Listings;
  placement: Placement;
  forward(node: string, method: string, params: Record<string, MsgValue>, call: CallContext): Promise<MsgValue>;
}

/** Any handler, as the table holds it before its methods are told apart. */
type AnyHandler = (params: never, call: CallContext) => unknown;

/**
 * Where each call of a node family runs. The node named by `node`; else the
 * node that holds the session, workspace or terminal the params name (asked
 * of the mesh once, then remembered); else this one. `nodes: "all"` asks every
 * node (Listings), `node: "auto"` picks one for a new session (Placement).
 * `subscribe` and `term_attach` to another node's objects become streams from
 * it (RemoteStreams). The methods are found in the method table by family, so
 * a method added to a family is routed with no more work.
 */
export class NodeRouter {
  constructor(private readonly ctx: RouterContext) {}

  /** The handler table with every node method, subscribe and unsubscribe routed. */
  table(): HandlerTable {
    const table: Record<string, AnyHandler> = { ...this.ctx.local };
    for (const name of Object.keys(methods) as MethodName[]) {
      if (isNodeMethod(name)) table[name] = (params: ParamsOf<MethodName>, call) => this.route(name, params, call);
    }
    table['subscribe'] = (params: ParamsOf<'subscribe'>, call) => this.subscribe(params, call);
    table['unsubscribe'] = (params: ParamsOf<'unsubscribe'>, call) => this.unsubscribe(params, call);
    return table as HandlerTable;
  }

  route(method: MethodName, params: ParamsOf<MethodName>, call: CallContext): unknown {
    const { node, nodes } = params as ListingParams;
    const own = withoutAddress(params) as Record<string, MsgValue>;
    if (nodes === 'all') return this.ctx.listings.across(method, own, call);
    if (node === AUTO_NODE || own['clone'] !== undefined) return this.placed(method, node, own, call);
    if (node !== undefined && node !== this.ctx.me) return this.remote(node, method, own, call);
    if (node === undefined) {
      const id = addressOf(own);
      if (id !== undefined && !this.ctx.locator.holdsLocally(id)) return this.located(id, method, own, call);
    }
    return this.local(method, own, call);
  }

  private placed(method: MethodName, node: string | undefined, params: Record<string, MsgValue>, call: CallContext) {
    if (method !== 'session_start' || node !== AUTO_NODE) {
      throw new CortexError(
        'EINVAL',
        method === 'session_start'
          ? 'clone goes with node "auto" (--node auto --clone): it clones the project on the node chosen.'
          : `node "${AUTO_NODE}" picks a node for session_start only; name the node for ${method}.`,
      );
    }
    const { clone, ...start } = params as ParamsOf<'session_start'> & Record<string, MsgValue>;
    return this.ctx.placement.start(start, clone === true, call);
  }

  /** The object is not here: on the node that holds it, or here after all (for the error) when none does. */
  private async located(id: string, method: MethodName, params: Record<string, MsgValue>, call: CallContext) {
    const node = await this.ctx.locator.nodeOf(id);
    if (node === undefined) return this.local(method, params, call);
    try {
      return await this.remote(node, method, params, call);
    } catch (error) {
      // Removed there since: asked for again next time.
      if (error instanceof CortexError && error.code === 'ENOTFOUND') this.ctx.locator.forget(id);
      throw error;
    }
  }

  private remote(node: string, method: MethodName, params: Record<string, MsgValue>, call: CallContext) {
    const { streams } = this.ctx;
    const topic = `term:${typeof params['id'] === 'string' ? params['id'] : ''}`;
    if (method === 'term_attach') return streams.open(node, topic, 'term_attach', params, call);
    if (method === 'term_detach') return this.release(node, topic, method, params, call);
    return this.ctx.forward(node, method, params, call);
  }

  private async subscribe(params: ParamsOf<'subscribe'>, call: CallContext) {
    const { topic, after, node } = params;
    const id = topicAddress(topic);
    const target =
      node ?? (id !== undefined && !this.ctx.locator.holdsLocally(id) ? await this.ctx.locator.nodeOf(id) : undefined);
    if (target === undefined || target === this.ctx.me) return this.ctx.local.subscribe({ topic, after }, call);
    const own: Record<string, MsgValue> = after === undefined ? { topic } : { topic, after };
    return this.ctx.streams.open(target, topic, 'subscribe', own, call) as Promise<{ ok: true; topic: string }>;
  }

  private async unsubscribe(params: ParamsOf<'unsubscribe'>, call: CallContext) {
    const { topic, node } = params;
    const stream = node === this.ctx.me ? undefined : this.ctx.streams.find(call.caller, topic, node);
    if (stream === undefined) return this.ctx.local.unsubscribe({ topic }, call);
    return this.release(stream.node, topic, 'unsubscribe', { topic }, call) as Promise<{
      ok: true;
      subscribed: boolean;
    }>;
  }

  /** Ends a stream from another node here, and tells that node (which answers as it would locally). */
  private async release(
    node: string,
    topic: string,
    method: 'unsubscribe' | 'term_detach',
    params: Record<string, MsgValue>,
    call: CallContext,
  ) {
    const stream = this.ctx.streams.find(call.caller, topic, node);
    if (stream !== undefined) this.ctx.streams.close(stream);
    try {
      return await this.ctx.forward(node, method, params, call);
    } catch (error) {
      // Out of reach: it drops the stream itself when it notices; here it has ended.
      if (stream === undefined || !(error instanceof CortexError && error.code === 'EUNREACHABLE')) throw error;
      return method === 'unsubscribe' ? { ok: true, subscribed: true } : { ok: true, attached: true };
    }
  }

  private local(method: MethodName, params: Record<string, MsgValue>, call: CallContext): unknown {
    return (this.ctx.local[method] as Handler<MethodName>)(params, call);
  }
}
