import { toJson } from '../../src/json-values.js';
import type { NodeInfo } from '../../src/protocol/tree-types.js';
import { type Command, line, withClient } from '../context.js';
import { age } from '../node-option.js';
import { formatBytes, printTable } from '../table-output.js';

export const nodesCommand: Command = {
  name: 'nodes',
  maxArgs: 0,
  usage: 'nodes [--json]',
  summary:
    'Every node of the mesh this one knows of, linked or through others: state, load, free memory and disk, running sessions; ! past a placement threshold, offline with the age of its last news.',
  async run(context) {
    const { nodes } = await withClient(context, (client) => client.call('node_list', {}));
    if (context.global.json) {
      for (const node of nodes) line(context.stdout, toJson(node));
      return;
    }
    const now = Date.now();
    printTable(context.stdout, [
      ['NODE', 'STATE', 'ROUTE', 'LOAD', 'MEM FREE', 'DISK FREE', 'RUNNING', 'SESSIONS', 'HEARD', 'NOTE'],
      ...nodes.map((node) => row(node, now)),
    ]);
  },
};

function row(node: NodeInfo, now: number): string[] {
  const { summary } = node;
  const offline = node.state === 'offline';
  return [
    `${node.node}${node.self ? ' (this)' : ''}`,
    offline ? `offline ${node.last_heard === null ? '' : age(now - node.last_heard)}`.trim() : 'online',
    node.self ? '-' : offline ? '-' : node.hops === 1 ? 'linked' : `via ${node.via} (${node.hops} hops)`,
    summary === null ? '-' : (Math.round(summary.load * 100) / 100).toFixed(2),
    summary === null ? '-' : formatBytes(summary.mem_free),
    summary?.disk_free == null ? '-' : formatBytes(summary.disk_free),
    summary === null ? '-' : String(summary.sessions_running),
    summary === null ? '-' : String(summary.objects.sessions),
    node.self || node.last_heard === null ? '-' : `${age(now - node.last_heard)} ago`,
    [
      ...(node.warnings.length > 0 ? [`! ${node.warnings.join(', ')}`] : []),
      ...(offline
        ? [`${node.reason ?? 'offline'}: ${node.message ?? ''}${summary === null ? '' : ' (figures stale)'}`]
        : []),
    ].join('; '),
  ];
}
