import { toJson } from '../../src/json-values.js';
import { CortexError } from '../../src/protocol/errors.js';
import type { ClusterStatus, PeerStatus } from '../../src/protocol/mesh-types.js';
import { type CliContext, type Command, line, withClient } from '../context.js';
import { printTable } from '../table-output.js';
import { mapArgument, positiveInteger, required } from '../parse-input.js';

export const clusterCommand: Command = {
  name: 'cluster',
  usage: 'cluster [--json] | cluster connect HOST:PORT | cluster disconnect NODE | cluster forget NODE',
  summary:
    'Show the mesh peers (state, heartbeat, lag, refusals), link with a peer, unlink from one, or forget its pinned certificate.',
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
        printTrust(context, status);
        if (status.peers.length === 0) {
          line(context.stderr, 'No peers yet: cortex cluster connect HOST:PORT links with one.');
          return;
        }
        printPeers(context, status.peers);
        printRefusals(context, status.peers);
      } else if (verb === 'connect') {
        const node = required(args, 1, 'the peer, HOST:PORT');
        const { peer } = await client.call('cluster_connect', { node });
        line(context.stdout, context.global.json ? toJson(peer) : `linked with ${peer.node} (${node})`);
      } else if (verb === 'disconnect') {
        const node = required(args, 1, 'the node name');
        await client.call('cluster_disconnect', { node });
        line(context.stdout, context.global.json ? toJson({ ok: true }) : `disconnected from ${node}`);
      } else if (verb === 'forget') {
        const node = required(args, 1, 'the node name');
        await client.call('cluster_forget', { node });
        line(
          context.stdout,
          context.global.json
            ? toJson({ ok: true })
            : `forgot ${node}: its next link pins the certificate it presents (connect it again if this node dialled it)`,
        );
      } else {
        throw new CortexError('EINVAL', `cluster takes connect, disconnect or forget, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

/** This node's certificate (a warning within 30 days of its end) and the revocation list in force. */
function printTrust(context: CliContext, status: ClusterStatus): void {
  const certificate = status.certificate;
  if (certificate === undefined || certificate === null) {
    line(context.stdout, 'certificate none yet (the mesh needs one: see cortex ca)');
  } else {
    const end = new Date(certificate.not_after).toISOString().slice(0, 10);
    line(context.stdout, `certificate ${certificate.name}, expires ${end} (${certificate.days_left} days)`);
    if (certificate.warning !== null) line(context.stdout, `warning: ${certificate.warning}`);
  }
  const list = status.revocations;
  if (list !== undefined && list.number > 0) {
    line(context.stdout, `revocation list #${list.number}, ${list.revoked} certificate(s) revoked`);
  }
}

/** Certificates refused under a peer's name (an impostor, a revoked node), one line each. */
function printRefusals(context: CliContext, peers: PeerStatus[]): void {
  for (const peer of peers) {
    const refused = peer.refused;
    if (refused === undefined || refused === null) continue;
    line(context.stdout, `refused ${peer.node} from ${refused.address}: ${refused.message}`);
  }
}

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

export const meshCommand: Command = {
  name: 'mesh',
  usage: 'mesh invite [--name NODE] [--ttl 1h] [--host H,...] | mesh join TOKEN HOST:PORT [--force]',
  summary:
    'Join a node with a one-time token: invite on the CA machine, join on the new node (the key is made there; ca.key never leaves).',
  options: {
    name: { type: 'string' },
    ttl: { type: 'string' },
    host: { type: 'string', multiple: true },
    force: { type: 'boolean' },
  },
  async run(context, args, options) {
    const verb = required(args, 0, 'invite or join');
    if (verb === 'invite') {
      const name = options['name'] as string | undefined;
      const ttl_ms = duration(options['ttl'] as string | undefined);
      const hosts = ((options['host'] as string[] | undefined) ?? [])
        .flatMap((item) => item.split(','))
        .filter(Boolean);
      const invitation = await withClient(context, (client) => client.call('mesh_invite', { name, ttl_ms, hosts }));
      if (context.global.json) {
        line(context.stdout, toJson(invitation));
        return;
      }
      line(context.stdout, invitation.token);
      const until = new Date(invitation.expires).toISOString();
      line(
        context.stderr,
        `One use, until ${until}${name === undefined ? '' : `, for a node named ${name}`}. On the new node: cortex mesh join TOKEN ${invitation.address}`,
      );
    } else if (verb === 'join') {
      const token = required(args, 1, 'the token from cortex mesh invite');
      const address = required(args, 2, "the inviting node's mesh listener, HOST:PORT");
      const { peer } = await withClient(context, (client) =>
        client.call('mesh_join', { token, address, force: options['force'] === true }),
      );
      line(
        context.stdout,
        context.global.json ? toJson(peer) : `joined the mesh: linked with ${peer.node} (${address})`,
      );
    } else {
      throw new CortexError('EINVAL', `mesh takes invite or join, not ${JSON.stringify(verb)}.`);
    }
  },
};

/** `30s`, `15m`, `1h`, `2d`, or milliseconds. */
function duration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match?.[2] ?? 'ms'];
  if (match === null || unit === undefined) {
    throw new CortexError('EINVAL', `--ttl must be a duration such as 30m, 1h or 2d, not ${JSON.stringify(text)}.`);
  }
  return Number(match[1]) * unit;
}

export const queryMeshCommand: Command = {
  name: 'query_mesh',
  aliases: ['query-mesh'],
  usage: 'query_mesh TABLE \'{"attr":value,...}\' [--limit N] [--timeout MS]',
  summary:
    'Match on every reachable node; prints {"node", "record"} per line, and on stderr the nodes that did not answer.',
  options: { limit: { type: 'string' }, timeout: { type: 'string' } },
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
  const timeout_ms = positiveInteger(options['timeout'] as string | undefined, '--timeout');
  const result = await withClient(context, (client) =>
    client.call('query_mesh', { table, pattern, limit, timeout_ms }),
  );
  for (const item of result.records) line(context.stdout, toJson(item));
  for (const failure of result.nodes.failed) line(context.stderr, `${failure.node}: ${failure.message}`);
  if (result.nodes.answered.length === 0 && result.nodes.failed.length > 0) {
    throw new CortexError(result.nodes.failed[0]!.code, 'No node answered the query.');
  }
}
