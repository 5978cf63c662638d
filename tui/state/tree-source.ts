import type { Client } from '../../src/client/client.js';
import type { Project } from '../../src/protocol/runtime-types.js';
import { traceStep } from '../../src/startup-trace.js';
import type { Placed, TreeSource } from './tree.js';

/*
 * How each topic's notification changes the tree's data (`TreeSource`). No
 * React here: `cortex tui` asks for the first lists with this before the TUI's
 * code has loaded (tree-ahead.ts).
 */

/** The lists of objects, of every node. */
export type Lists = Pick<TreeSource, 'projects' | 'workspaces' | 'sessions' | 'terminals'>;

/** A change a topic told, applied to the tree as it is when the change is taken. */
export type Change = (tree: TreeSource) => TreeSource;

/** The topics that keep the lists current: every change any client makes, as it is made. */
export const TREE_TOPICS = ['sessions:*', 'workspaces:*', 'terminals:*'];

/** News of nodes going away and coming back: their lists are asked for again. */
export const NODES_TOPIC = 'nodes:*';

/** A list with `item` put in place of the one with its key (or added), or taken out. */
function updated<T>(list: T[], item: T, key: (value: T) => string, removed = false): T[] {
  const others = list.filter((value) => key(value) !== key(item));
  return removed ? others : [...others, item];
}

/** How each topic's notification changes the tree; returns the ways to stop listening. */
export function followTopics(client: Client, apply: (change: Change) => void): (() => void)[] {
  return [
    client.onNotification('session_update', ({ session }) =>
      apply((tree) => ({ ...tree, sessions: updated(tree.sessions, session, (s) => s.id) })),
    ),
    client.onNotification('project_update', ({ project, removed }) =>
      apply((tree) => ({ ...tree, projects: updated(tree.projects, project, projectKey(tree), removed) })),
    ),
    client.onNotification('workspace_update', ({ workspace, removed }) =>
      apply((tree) => ({ ...tree, workspaces: updated(tree.workspaces, workspace, (w) => w.id, removed) })),
    ),
    client.onNotification('terminal_update', ({ terminal, removed }) =>
      apply((tree) => ({ ...tree, terminals: updated(tree.terminals, terminal, (t) => t.id, removed) })),
    ),
  ];
}

/** Projects are named per node: a local one (no node, or this node's) is keyed by its name alone. */
function projectKey(tree: TreeSource): (project: Placed<Project>) => string {
  return (project) => (isLocal(project, tree) ? project.name : `${project.name}@${project.node}`);
}

/** An object of this node: told by a topic (no node) or listed with this node's name. */
export function isLocal(item: { node?: string }, tree: Pick<TreeSource, 'status'>): boolean {
  return item.node === undefined || item.node === tree.status?.node;
}

/** `told` applied in order to `tree` (the same object when nothing was told). */
export function withChanges(tree: TreeSource, told: readonly Change[]): TreeSource {
  return told.reduce((current, change) => change(current), tree);
}

/**
 * Subscribes to the topics, then reads the lists: subscribed first, so no
 * change falls between the two. A daemon older than a topic refuses it; the
 * tree then shows what it loaded, without updates. Undefined when the
 * connection dropped (the next one loads again).
 */
export async function loadLists(client: Client): Promise<TreeSource | undefined> {
  try {
    const topics = [...TREE_TOPICS, NODES_TOPIC];
    await Promise.all(topics.map((topic) => client.call('subscribe', { topic }).catch(() => undefined)));
    // The status with the lists, so the node row never says connecting beside them.
    const [read, lists] = await Promise.all([readStatus(client), readLists(client)]);
    traceStep('lists');
    return { ...read, ...lists };
  } catch {
    return undefined;
  }
}

/** Every node's objects, each with its node; a node that did not answer gives its last known ones, marked stale. */
export async function readLists(client: Client): Promise<Lists> {
  const all = { nodes: 'all' } as const;
  const [projects, workspaces, sessions, terminals] = await Promise.all([
    client.call('project_list', all),
    client.call('workspace_list', all),
    client.call('session_list', all),
    client.call('term_list', all),
  ]);
  return {
    projects: projects.projects,
    workspaces: workspaces.workspaces,
    sessions: sessions.sessions,
    terminals: terminals.terminals,
  };
}

/**
 * The node's status, its mesh peers and every node's state (only
 * administrators may see the cluster; others get none).
 */
export async function readStatus(client: Client): Promise<Pick<TreeSource, 'status' | 'peers' | 'nodes'>> {
  const [status, cluster, nodes] = await Promise.all([
    client.call('status', {}).catch(() => undefined),
    client.call('cluster_status', {}).catch(() => undefined),
    client.call('node_list', {}).catch(() => undefined),
  ]);
  return { status, peers: cluster?.peers ?? [], nodes: nodes?.nodes ?? [] };
}
