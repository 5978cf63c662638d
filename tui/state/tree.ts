import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import type { Located, NodeInfo } from '../../src/protocol/tree-types.js';
import type { StatusResult } from '../../src/protocol/methods.js';
import type { Project, Session, SessionStatus, Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';

/** An object of some node, as a listing across nodes gives it (`node`, `stale`); local updates have no `node`. */
export type Placed<T> = T & Located;

/** The tree's data as the daemon gives it: the lists and the nodes (tree-source.ts keeps it current). */
export interface TreeSource {
  status: StatusResult | undefined;
  projects: Placed<Project>[];
  workspaces: Workspace[];
  sessions: Placed<Session>[];
  terminals: Placed<TerminalInfo>[];
  /** Mesh peers, when the mesh is on. */
  peers: PeerStatus[];
  /** Every node this one knows of (`node_list`), itself included, reached directly or through others. */
  nodes: NodeInfo[];
}

export interface TreeData extends TreeSource {
  /** Sessions with events the user has not looked at. */
  unseen: ReadonlySet<string>;
}

/** A badge in the forms it can take, longest first: the tree shows the longest that fits. */
export type Badge = readonly string[];

/** Rows of objects of a node that is out of reach (or shown from its last answer) are `away`: drawn greyed. */
interface ObjectRow {
  /** The node the object belongs to; undefined for this node's. */
  node: string | undefined;
  away?: true;
}

export type TreeRow =
  | { kind: 'node'; id: string; depth: 0; label: string; badge: Badge }
  | ({ kind: 'project'; id: string; depth: 1; label: string } & ObjectRow)
  | ({ kind: 'workspace'; id: string; depth: 2; label: string; workspace: Workspace } & ObjectRow)
  | ({ kind: 'session'; id: string; depth: 3; label: string; session: Session; unseen: boolean } & ObjectRow)
  | ({ kind: 'terminal'; id: string; depth: 3; label: string; terminal: TerminalInfo } & ObjectRow)
  | {
      kind: 'peer';
      id: string;
      depth: 0;
      label: string;
      badge: Badge;
      /** Its link, when it is a direct peer. */
      peer: PeerStatus | undefined;
      /** What this node knows of it, when `node_list` told. */
      info: NodeInfo | undefined;
      online: boolean;
    };

export const STATUS_GLYPH: Record<SessionStatus, string> = {
  starting: '…',
  running: '▶',
  idle: '○',
  interrupted: '‖',
  failed: '✗',
  stopped: '■',
};

/**
 * Nodes (this one first, then every other node known, linked or reached
 * through others) and under each its projects → workspaces → sessions and
 * terminals, flattened in display order. A node out of reach keeps its last
 * known objects, greyed.
 */
export function buildTree(data: TreeData, now = Date.now()): TreeRow[] {
  const rows: TreeRow[] = [];
  const self = data.status?.node;
  rows.push({ kind: 'node', id: `node:${self ?? '…'}`, depth: 0, label: self ?? '…', badge: nodeBadge(data.status) });
  const local = (node: string | undefined) => node === undefined || self === undefined || node === self;
  pushObjects(rows, data, (node) => local(node), undefined, false, now);
  for (const other of otherNodes(data, self)) {
    rows.push(peerRow(other.name, other.peer, other.info, now));
    const away = !(other.info ? other.info.state === 'online' : other.peer?.state === 'connected');
    pushObjects(rows, data, (node) => node === other.name, other.name, away, now);
  }
  return rows;
}

/** Every node but this one, by name: the direct peers and the nodes `node_list` knows, merged. */
function otherNodes(
  data: TreeData,
  self: string | undefined,
): { name: string; peer: PeerStatus | undefined; info: NodeInfo | undefined }[] {
  const names = new Set([
    ...data.peers.map((peer) => peer.node),
    ...data.nodes.filter((info) => !info.self && info.node !== self).map((info) => info.node),
    ...data.workspaces.map((workspace) => workspace.node).filter((node) => self !== undefined && node !== self),
  ]);
  return [...names]
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({
      name,
      peer: data.peers.find((peer) => peer.node === name),
      info: data.nodes.find((info) => info.node === name),
    }));
}

/** One node's projects → workspaces → sessions and terminals. */
function pushObjects(
  rows: TreeRow[],
  data: TreeData,
  owns: (node: string | undefined) => boolean,
  node: string | undefined,
  away: boolean,
  now: number,
): void {
  const mark = (stale: boolean | undefined) => (away || stale ? { away: true as const } : {});
  const workspacesHere = data.workspaces.filter((workspace) => owns(workspace.node));
  const projectsHere = data.projects.filter((project) => owns(project.node));
  const projects = [
    ...new Set([...projectsHere.map((project) => project.name), ...workspacesHere.map((w) => w.project)]),
  ].sort();
  for (const project of projects) {
    const id = node === undefined ? `project:${project}` : `project:${project}@${node}`;
    rows.push({ kind: 'project', id, depth: 1, label: project, node, ...mark(undefined) });
    for (const workspace of workspacesHere.filter((item) => item.project === project)) {
      const label = shortPath(workspace.path);
      rows.push({ kind: 'workspace', id: workspace.id, depth: 2, label, workspace, node, ...mark(undefined) });
      const sessions = data.sessions
        .filter((session) => session.workspace === workspace.id)
        .sort((a, b) => b.created - a.created);
      for (const session of sessions) {
        rows.push({
          kind: 'session',
          id: session.id,
          depth: 3,
          label: `${STATUS_GLYPH[session.status]} ${session.provider} ${age(now - session.updated)}${session.queued ? ` +${session.queued}` : ''}`,
          session,
          unseen: data.unseen.has(session.id),
          node,
          ...mark(session.stale),
        });
      }
      const terminals = data.terminals
        .filter((terminal) => terminal.workspace === workspace.id)
        .sort((a, b) => a.created - b.created);
      for (const terminal of terminals) {
        const text = terminalLabel(terminal, now);
        rows.push({
          kind: 'terminal',
          id: terminal.id,
          depth: 3,
          label: text,
          terminal,
          node,
          ...mark(terminal.stale),
        });
      }
    }
  }
}

function peerRow(name: string, peer: PeerStatus | undefined, info: NodeInfo | undefined, now: number): TreeRow {
  const online = info ? info.state === 'online' : peer?.state === 'connected';
  const badge = info && (!online || !peer) ? nodeInfoBadge(info, now) : peer ? peerBadge(peer) : ['◌ connecting', '◌'];
  return { kind: 'peer', id: `peer:${name}`, depth: 0, label: name, badge, peer, info, online };
}

/**
 * A node as `node_list` knows it: online with its last figures, or offline
 * with why and how long since it was last heard from.
 */
function nodeInfoBadge(info: NodeInfo, now: number): Badge {
  if (info.state === 'offline') {
    const reason = info.reason ?? 'offline';
    const heard = info.last_heard === null ? 'never heard' : `${age(now - info.last_heard)} ago`;
    return [`○ ${reason} ${heard}`, `○ ${reason}`, '○'];
  }
  const summary = info.summary;
  if (summary === null) return ['● online', '●'];
  const memory = summary.mem_total > 0 ? Math.round((1 - summary.mem_free / summary.mem_total) * 100) : 0;
  const disk = summary.disk_free === null ? undefined : formatBytes(summary.disk_free);
  return [...resourceBadge(summary.load, memory, disk).map((text) => `● ${text}`), '●'];
}

function terminalLabel(terminal: TerminalInfo, now: number): string {
  const program = terminal.command[0]?.split('/').pop() ?? '?';
  const state = terminal.status === 'running' ? '$' : terminal.exit_code === 0 ? '✓' : '✗';
  return `${state} ${program} ${age(now - (terminal.ended ?? terminal.created))}`;
}

/** A peer's liveness, then its machine's load, memory and disk as its heartbeat last said. */
function peerBadge(peer: PeerStatus): Badge {
  const liveness = peer.state === 'connected' ? '●' : peer.state === 'connecting' ? '◌' : '○';
  const resources = peer.resources;
  if (peer.state !== 'connected' || resources === null) return [`${liveness} ${peer.state}`, liveness];
  const memory = resources.mem_total > 0 ? Math.round((1 - resources.mem_free / resources.mem_total) * 100) : 0;
  const disk = resources.disk_free === null ? undefined : formatBytes(resources.disk_free);
  return [...resourceBadge(resources.load, memory, disk).map((text) => `${liveness} ${text}`), liveness];
}

function nodeBadge(status: StatusResult | undefined): Badge {
  if (status === undefined) return ['connecting', '…'];
  const { load1, memory_used, disk_free } = status.resources;
  return resourceBadge(load1, Math.round(memory_used * 100), formatBytes(disk_free));
}

/**
 * Load, memory and disk, shortened step by step so a narrow tree (80
 * columns) drops the words, then the disk, then the memory, rather than
 * cutting the numbers off.
 */
function resourceBadge(load: number, memoryPercent: number, disk: string | undefined): Badge {
  const loadText = load.toFixed(1);
  const full = `load ${loadText} mem ${memoryPercent}%${disk === undefined ? '' : ` disk ${disk}`}`;
  const short = `${loadText} ${memoryPercent}%${disk === undefined ? '' : ` ${disk}`}`;
  return [full, short, `${loadText} ${memoryPercent}%`, loadText];
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)}${units[unit]}`;
}

/**
 * How old something is, to the minute: `<1m`, `5m`, `3h`, `2d`. Not to the
 * second: the tree would change every time it is drawn, and an idle screen
 * should send the terminal nothing.
 */
export function age(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return '<1m';
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function shortPath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length <= 2 ? path : `…/${parts.slice(-2).join('/')}`;
}
