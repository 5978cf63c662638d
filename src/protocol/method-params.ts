import { CortexError } from './errors.js';
import { type MethodName, methods, type ParamsOf } from './methods.js';
import type { MsgValue } from './msgpack-types.js';
import { namedParams } from './params.js';
import { NODE_NAME } from './store-types.js';
import { isListingMethod, isNodeMethod } from './tree-types.js';
import { describe } from './validate.js';

/** Asked for every request: known once. */
const NODE_METHODS: ReadonlySet<string> = new Set(Object.keys(methods).filter(isNodeMethod));

/**
 * A request's params, checked by its method's parser, the way the daemon takes
 * them at its edge (from a client, or forwarded by a peer). The methods of a
 * node family also take `node` (and listings `nodes: "all"`) by name: they are
 * taken off here, in one place, so that a method added to a family takes them
 * without declaring them.
 */
export function parseParams<M extends MethodName>(method: M, raw: MsgValue | undefined): ParamsOf<M> {
  return paramsParser(method)(raw);
}

/**
 * parseParams for one method, with what it looks up of the method found once: a server that
 * takes every request through it looks the method up once per request, not once per table.
 */
export function paramsParser<M extends MethodName>(method: M): (raw: MsgValue | undefined) => ParamsOf<M> {
  const { params: parse } = methods[method];
  if (!NODE_METHODS.has(method)) return (raw) => parse(namedParams(method, parse.fields, raw), 'params') as ParamsOf<M>;
  return (raw) => {
    const { node, nodes, ...rest } = namedParams(method, parse.fields, raw);
    const parsed = parse(rest, 'params') as Record<string, unknown>;
    if (node !== undefined && node !== null) parsed['node'] = nodeOf(node);
    if (nodes !== undefined && nodes !== null) parsed['nodes'] = nodesOf(method, nodes);
    return parsed as ParamsOf<M>;
  };
}

function nodeOf(value: MsgValue): string {
  if (typeof value === 'string' && NODE_NAME.test(value)) return value;
  throw new CortexError('EINVAL', `params.node must be a node name (letters, digits, _ . -), not ${describe(value)}.`);
}

function nodesOf(method: string, value: MsgValue): 'all' {
  if (!isListingMethod(method)) throw new CortexError('EINVAL', `params has an unknown field "nodes".`);
  if (value === 'all') return 'all';
  throw new CortexError('EINVAL', `params.nodes must be "all" (every reachable node), not ${describe(value)}.`);
}
