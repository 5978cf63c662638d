import type { ClusterStatus, PeerStatus } from '../../../src/protocol/mesh-types.js';
import type { TokenInfo } from '../../../src/protocol/methods.js';
import { fitColumns, tableLine } from './cells.js';

const when = (ms: number | null): string =>
  ms === null ? '-' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** The administrators' view as lines: the tokens, then the peers with their lag and last conflict or refusal. */
export function adminLines(tokens: readonly TokenInfo[], cluster: ClusterStatus): string[] {
  return [
    `Tokens (${tokens.length})`,
    ...table(
      ['name', 'creator', 'created', 'last used'],
      tokens.map((token) => [token.name, token.creator, when(token.created), when(token.last_used)]),
    ),
    '',
    `Mesh peers of ${cluster.node} (${cluster.peers.length})${cluster.listen ? ` · listening on ${cluster.listen}` : ''}`,
    ...table(['peer', 'state', 'lag out/in', 'lag ms', 'last conflict or refusal'], cluster.peers.map(peerCells)),
  ];
}

function peerCells(peer: PeerStatus): string[] {
  const trouble = peer.last_trouble
    ? `${when(peer.last_trouble.time)} ${peer.last_trouble.type}: ${peer.last_trouble.message}`
    : (peer.error ?? '-');
  return [peer.node, peer.state, `${peer.lag.outbound}/${peer.lag.inbound}`, String(peer.lag.ms), trouble];
}

function table(titles: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ['  none'];
  const columns = fitColumns(titles, rows);
  return [tableLine(columns, titles), ...rows.map((cells) => tableLine(columns, cells))];
}
