import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import type { StatusResult } from '../../src/protocol/methods.js';
import type { Project, Session, SessionStatus, Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';

export interface TreeData {
  status: StatusResult | undefined;
  projects: Project[];
  workspaces: Workspace[];
  sessions: Session[];
  terminals: TerminalInfo[];
  /** Mesh peers, when the mesh is on. */
  peers: PeerStatus[];
  /** Sessions with events the user has not looked at. */
  unseen: ReadonlySet<string>;
}

/** A badge in the forms it can take, longest first: the tree shows the longest that fits. */
export type Badge = readonly string[];

export type TreeRow =
  | { kind: 'node'; id: string; depth: 0; label: string; badge: Badge }
  | { kind: 'project'; id: string; depth: 1; label: string }
  | { kind: 'workspace'; id: string; depth: 2; label: string; workspace: Workspace }
  | { kind: 'session'; id: string; depth: 3; label: string; session: Session; unseen: boolean }
  | { kind: 'terminal'; id: string; depth: 3; label: string; terminal: TerminalInfo }
  | { kind: 'peer'; id: string; depth: 0; label: string; badge: Badge; peer: PeerStatus };

export const STATUS_GLYPH: Record<SessionStatus, string> = {
  starting: '…',
  running: '▶',
  idle: '○',
  interrupted: '‖',
  failed: '✗',
  stopped: '■',
};

/** Nodes (this one first, then mesh peers) → projects → workspaces → sessions and terminals, flattened in display order. */
export function buildTree(data: TreeData, now = Date.now()): TreeRow[] {
  const rows: TreeRow[] = [];
  const node = data.status?.node ?? '…';
  rows.push({ kind: 'node', id: `node:${node}`, depth: 0, label: node, badge: nodeBadge(data.status) });
  const projects = [
    ...new Set([...data.projects.map((project) => project.name), ...data.workspaces.map((w) => w.project)]),
  ].sort();
  for (const project of projects) {
    rows.push({ kind: 'project', id: `project:${project}`, depth: 1, label: project });
    for (const workspace of data.workspaces.filter((item) => item.project === project)) {
      rows.push({ kind: 'workspace', id: workspace.id, depth: 2, label: shortPath(workspace.path), workspace });
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
        });
      }
      const terminals = data.terminals
        .filter((terminal) => terminal.workspace === workspace.id)
        .sort((a, b) => a.created - b.created);
      for (const terminal of terminals) {
        rows.push({ kind: 'terminal', id: terminal.id, depth: 3, label: terminalLabel(terminal, now), terminal });
      }
    }
  }
  for (const peer of [...data.peers].sort((a, b) => a.node.localeCompare(b.node))) {
    rows.push({ kind: 'peer', id: `peer:${peer.node}`, depth: 0, label: peer.node, badge: peerBadge(peer), peer });
  }
  return rows;
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
