import { toJson } from '../../src/json-values.js';
import { CortexError } from '../../src/protocol/errors.js';
import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import { type CliContext, type Command, line, withClient } from '../context.js';
import { parseDuration } from '../duration.js';
import { printTable } from '../table-output.js';
import { mapArgument, positiveInteger, required } from '../parse-input.js';

export const clusterCommand: Command = {
  name: 'cluster',
  maxArgs: { status: 1, connect: 2, disconnect: 2 },
  usage: 'cluster [--json] | cluster connect HOST:PORT | cluster disconnect NODE',
  summary: 'Show the mesh peers (state, heartbeat, replication lag), link with a peer, or unlink from one.',
  async run(context, args) {
    const verb = args[0] ?? 'status';
    await withClient(context, async (client) => {
      if (verb === 'status') {
        const status = await client.call('cluster_status', {});
        if (context.global.json) {
          line(context.stdout, toJson(status));
          return;
        }
        line(context.stdout, `node ${status.node}, mesh listener ${status.listen ?? 'none'}`);
        if (status.peers.length === 0) {
          line(context.stderr, 'No peers yet: cortex cluster connect HOST:PORT links with one.');
          return;
        }
        printPeers(context, status.peers);
      } else if (verb === 'connect') {
        const node = required(args, 1, 'the peer, HOST:PORT');
        const { peer } = await client.call('cluster_connect', { node });
        line(context.stdout, context.global.json ? toJson(peer) : `linked with ${peer.node} (${node})`);
      } else if (verb === 'disconnect') {
        const node = required(args, 1, 'the node name');
        await client.call('cluster_disconnect', { node });
        line(context.stdout, context.global.json ? toJson({ ok: true }) : `disconnected from ${node}`);
      } else {
        throw new CortexError('EINVAL', `cluster takes connect or disconnect, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

function printPeers(context: CliContext, peers: PeerStatus[]): void {
  const now = Date.now();
  const ago = (time: number | null) => (time === null ? '-' : `${Math.max(0, Math.round((now - time) / 1000))}s ago`);
  const rows = [
    ['PEER', 'STATE', 'ADDRESS', 'SINCE', 'HEARTBEAT', 'LAG OUT/IN', 'ERROR'],
    ...peers.map((peer) => [
      peer.node,
      peer.direction === null ? peer.state : `${peer.state} (${peer.direction})`,
      peer.address ?? '-',
      ago(peer.since),
      ago(peer.last_heartbeat),
      `${peer.lag.outbound}/${peer.lag.inbound}${peer.lag.ms > 0 ? ` (${peer.lag.ms} ms)` : ''}`,
      peer.error ?? '',
    ]),
  ];
  printTable(context.stdout, rows);
}

export const queryMeshCommand: Command = {
  name: 'query_mesh',
  maxArgs: 2,
  aliases: ['query-mesh'],
  usage: 'query_mesh TABLE \'{"attr":value,...}\' [--limit N] [--timeout DURATION]',
  summary:
    'Match on every reachable node; prints {"node", "record"} per line, and on stderr the nodes that did not answer.',
  options: { limit: { type: 'string' } },
  run: (context, args, options) => queryMesh(context, args, options),
};

/** `query_mesh`, also reached as `query ... --mesh`. */
export async function queryMesh(
  context: CliContext,
  args: string[],
  options: Record<string, unknown>,
): Promise<number | void> {
  const table = required(args, 0, 'the table name');
  const pattern = mapArgument(args[1] ?? '{}', 'the pattern', 2);
  const limit = positiveInteger(options['limit'] as string | undefined, '--limit');
  const timeout = options['timeout'] as string | undefined;
  // --timeout is each node's time to answer here (at most a minute); the call waits for the slowest.
  const timeout_ms =
    timeout === undefined ? undefined : Math.min(60_000, Math.max(10, parseDuration(timeout, '--timeout')));
  const deadline = context.global.timeoutMs === 0 ? 0 : (timeout_ms ?? 2000) + context.global.timeoutMs;
  const result = await withClient(context, (client) =>
    client.call('query_mesh', { table, pattern, limit, timeout_ms }, { timeoutMs: deadline }),
  );
  for (const item of result.records) line(context.stdout, toJson(item));
  for (const failure of result.nodes.failed) line(context.stderr, `${failure.node}: ${failure.message}`);
  if (result.nodes.answered.length === 0 && result.nodes.failed.length > 0) {
    throw new CortexError(result.nodes.failed[0]!.code, 'No node answered the query.');
  }
}
