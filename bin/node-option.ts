import type { Writable } from 'node:stream';
import type { Client } from '../src/client/client.js';
import { CortexError } from '../src/protocol/errors.js';
import type { ListingNode } from '../src/protocol/tree-types.js';
import { AUTO_NODE, isNodeMethod } from '../src/protocol/tree-types.js';
import { line, type OptionValues } from './context.js';

/**
 * `--node NAME` and `--all-nodes`, the options of every runtime, workspace and
 * terminal command: the daemon forwards the calls to that node (an object's
 * id finds its node by itself), and a listing shows every node's objects.
 */
export const NODE_OPTIONS = {
  node: { type: 'string' },
  'all-nodes': { type: 'boolean' },
} as const;

/** The node --node names, if any. */
export function nodeOption(options: OptionValues): string | undefined {
  const node = options['node'];
  if (node === undefined) return undefined;
  if (typeof node !== 'string' || node === '') throw new CortexError('EINVAL', '--node takes a node name.');
  return node;
}

/** Whether --all-nodes was given (refused together with --node). */
export function allNodes(options: OptionValues): boolean {
  const all = options['all-nodes'] === true;
  if (all && options['node'] !== undefined) {
    throw new CortexError('EINVAL', '--all-nodes lists every node; leave out --node.');
  }
  return all;
}

/**
 * The client, with every call of a node family (and subscribe) sent to the
 * node --node names: one place, so that every command and every new method of
 * those families takes the option with no more work.
 */
export function atNode(client: Client, options: OptionValues): Client {
  const node = nodeOption(options);
  if (node === undefined) return client;
  const call: Client['call'] = (method, params, callOptions) => {
    // `auto` picks the node of a new session; what follows finds it by the session's id.
    const routes = node === AUTO_NODE ? method === 'session_start' : isNodeMethod(method) || method === 'subscribe';
    const routed = routes ? { ...params, node } : params;
    return client.call(method, routed, callOptions);
  };
  return new Proxy(client, {
    get: (target, property) => (property === 'call' ? call : (Reflect.get(target, property, target) as unknown)),
  });
}

/**
 * Says on stderr which nodes did not answer a listing across nodes, why, and
 * how old the objects shown for them are: a node away is shown, never dropped.
 */
export function reportNodes(stderr: Writable, nodes: readonly ListingNode[] | undefined): void {
  for (const node of nodes ?? []) {
    if (node.answered) continue;
    const heard = node.last_heard === null ? 'never heard from' : `last heard ${age(Date.now() - node.last_heard)} ago`;
    const shown = node.stale_ms === null ? 'nothing shown for it' : `its objects as of ${age(node.stale_ms)} ago`;
    line(stderr, `${node.node}: offline (${node.reason}: ${node.message}); ${heard}; ${shown}`);
  }
}

/** The NODE cell of a listing row: the node, marked when the row comes from its last answer. */
export function nodeCell(item: { node?: string | undefined; stale?: boolean | undefined }): string {
  return `${item.node ?? '-'}${item.stale ? ' (stale)' : ''}`;
}

/** 65_000 → `1m5s`. */
export function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}` : `${Math.floor(hours / 24)}d`;
}
