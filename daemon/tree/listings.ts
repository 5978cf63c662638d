import { CortexError } from '../../src/protocol/errors.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { ListingNode, NodeReason } from '../../src/protocol/tree-types.js';
import type { NodeView } from '../mesh/routes.js';
import type { CallContext } from '../server/caller.js';
import type { Locator } from './locator.js';

/** Listings remembered (per caller, method and params); past this, the least recently used go. */
const MAX_CACHED = 200;

export interface ListingsContext {
  nodes(): NodeView[];
  /** This node's own answer. */
  local(method: string, params: Record<string, MsgValue>, call: CallContext): unknown;
  forward(
    node: string,
    method: string,
    params: Record<string, MsgValue>,
    call: CallContext,
    timeoutMs: number,
  ): Promise<MsgValue>;
  /** How long each node may take to answer. */
  timeoutMs: number;
  locator: Locator;
  now(): number;
}

interface Answer {
  view: NodeView;
  result?: Record<string, unknown>;
  failure?: { reason: NodeReason; message: string; error: unknown };
  /** It answered that it has none of what the listing filters on (a workspace of another node). */
  none?: CortexError;
}

/**
 * Listings across nodes (`nodes: "all"`): every node known is asked at once,
 * each within the time allowed, and the objects come back each with its node.
 * A node that does not answer is listed with why and when it was last heard
 * from, and its objects from its last answer to the same listing are kept in,
 * marked `stale`, with the age of that answer: a node that goes away greys,
 * it is never dropped silently. The ids listed teach the locator where they live.
 */
export class Listings {
  private readonly cache = new Map<string, Map<string, { result: Record<string, unknown>; at: number }>>();

  constructor(private readonly ctx: ListingsContext) {}

  async across(method: string, params: Record<string, MsgValue>, call: CallContext): Promise<Record<string, unknown>> {
    const answers = await Promise.all(this.ctx.nodes().map((view) => this.ask(view, method, params, call)));
    const key = JSON.stringify([call.identity.name, method, params]);
    const cached = this.cached(key);
    const out: Record<string, unknown> = {};
    const nodes: ListingNode[] = [];
    const now = this.ctx.now();
    for (const { view, result, failure } of answers) {
      const last_heard = view.heardAt;
      if (result !== undefined) {
        cached.set(view.node, { result, at: now });
        this.add(out, result, view.node, false);
        nodes.push({ node: view.node, answered: true, reason: null, message: null, last_heard, stale_ms: null });
        continue;
      }
      const earlier = cached.get(view.node);
      if (earlier !== undefined) this.add(out, earlier.result, view.node, true);
      nodes.push({
        node: view.node,
        answered: false,
        reason: failure!.reason,
        message: failure!.message,
        last_heard,
        stale_ms: earlier === undefined ? null : now - earlier.at,
      });
    }
    // Nowhere had anything to list: the answer is the error (of this node first) that says why.
    if (Object.keys(out).length === 0) throw answers.find((answer) => answer.none)?.none ?? answers[0]!.failure!.error;
    return { ...out, nodes };
  }

  private async ask(
    view: NodeView,
    method: string,
    params: Record<string, MsgValue>,
    call: CallContext,
  ): Promise<Answer> {
    if (!view.self && !view.online) {
      const down = view.down ?? { reason: 'link_down' as const, message: `${view.node} is out of reach` };
      return { view, failure: { ...down, error: new CortexError('EUNREACHABLE', down.message) } };
    }
    try {
      const result = view.self
        ? await this.ctx.local(method, params, call)
        : await this.ctx.forward(view.node, method, params, call, this.ctx.timeoutMs);
      return { view, result: asMap(result) };
    } catch (error) {
      // A node with none of what the listing filters on (a workspace of another node) has nothing to list.
      if (error instanceof CortexError && error.code === 'ENOTFOUND') return { view, result: {}, none: error };
      return { view, failure: { ...reasonOf(error), error } };
    }
  }

  /** Adds one node's objects to the listing, each with its node. */
  private add(out: Record<string, unknown>, result: Record<string, unknown>, node: string, stale: boolean): void {
    for (const [field, value] of Object.entries(result)) {
      if (!Array.isArray(value)) continue;
      const items = (out[field] as unknown[] | undefined) ?? [];
      for (const item of value) {
        if (!isMap(item)) continue;
        items.push(stale ? { ...item, node, stale: true } : { ...item, node });
        if (typeof item['id'] === 'string' && !stale) this.ctx.locator.learn(item['id'], node);
      }
      out[field] = items;
    }
  }

  private cached(key: string): Map<string, { result: Record<string, unknown>; at: number }> {
    let entry = this.cache.get(key);
    if (entry === undefined) entry = new Map();
    this.cache.delete(key);
    this.cache.set(key, entry);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }
}

/** Why a node did not answer, from the error its call ended with. */
export function reasonOf(error: unknown): { reason: NodeReason; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof CortexError)) return { reason: 'error', message };
  const data = error.data as { reason?: unknown } | undefined;
  if (error.code === 'EUNREACHABLE' && typeof data?.reason === 'string') {
    return { reason: data.reason as NodeReason, message };
  }
  if (error.code === 'ETIMEDOUT') return { reason: 'timed_out', message };
  if (error.code === 'EACCES') return { reason: 'refused', message };
  return { reason: 'error', message };
}

function asMap(value: unknown): Record<string, unknown> {
  return isMap(value) ? value : {};
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
