import { useEffect, useState } from 'react';
import type { Client } from '../../src/client/client.js';
import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import type { StatusResult } from '../../src/protocol/methods.js';
import type { Project, Session, Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import type { NodeInfo } from '../../src/protocol/tree-types.js';
import { traceStep } from '../../src/startup-trace.js';
import { useConnection } from '../state/connection.js';
import type { Placed } from '../state/tree.js';

export interface TreeSource {
  status: StatusResult | undefined;
  projects: Placed<Project>[];
  workspaces: Workspace[];
  sessions: Placed<Session>[];
  terminals: Placed<TerminalInfo>[];
  peers: PeerStatus[];
  nodes: NodeInfo[];
}

/** The lists of objects, of every node. */
type Lists = Pick<TreeSource, 'projects' | 'workspaces' | 'sessions' | 'terminals'>;

const EMPTY: TreeSource = {
  status: undefined,
  projects: [],
  workspaces: [],
  sessions: [],
  terminals: [],
  peers: [],
  nodes: [],
};

/** The node's status (its resource badges), the mesh peers and other nodes' lists are asked for this often. */
const STATUS_EVERY_MS = 5000;

/** The topics that keep the lists current: every change any client makes, as it is made. */
const TREE_TOPICS = ['sessions:*', 'workspaces:*', 'terminals:*'];

/** News of nodes going away and coming back: their lists are asked for again. */
const NODES_TOPIC = 'nodes:*';

type Change = (tree: TreeSource) => TreeSource;

/** A list with `item` put in place of the one with its key (or added), or taken out. */
function updated<T>(list: T[], item: T, key: (value: T) => string, removed = false): T[] {
  const others = list.filter((value) => key(value) !== key(item));
  return removed ? others : [...others, item];
}

/** How each topic's notification changes the tree. */
function followTopics(client: Client, apply: (change: Change) => void): (() => void)[] {
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
function isLocal(item: { node?: string }, tree: Pick<TreeSource, 'status'>): boolean {
  return item.node === undefined || item.node === tree.status?.node;
}

/**
 * The lists with other nodes' objects taken from `read` (asked again) and
 * this node's kept as the topics keep them.
 */
function withRemote(tree: TreeSource, read: Lists): TreeSource {
  const merge = <T extends { node?: string }>(current: T[], fresh: T[]) => [
    ...current.filter((item) => isLocal(item, tree)),
    ...fresh.filter((item) => !isLocal(item, tree)),
  ];
  return {
    ...tree,
    projects: merge(tree.projects, read.projects),
    workspaces: merge(tree.workspaces, read.workspaces),
    sessions: merge(tree.sessions, read.sessions),
    terminals: merge(tree.terminals, read.terminals),
  };
}

/**
 * What the tree shows, kept current: the lists loaded on every (re)connection,
 * then changed by the `sessions:*`, `workspaces:*` and `terminals:*` topics
 * as any client adds, removes or changes something, without asking for the
 * lists again. The lists are of every node (`nodes: "all"`); other nodes'
 * objects are asked for again every few seconds and whenever a node goes away
 * or comes back (`nodes:*`), as are the node's status, the mesh peers and the
 * node states, whose numbers move on their own. One object, changed whole:
 * each change is one render (Ink renders every update made outside a key
 * handler on its own), and an unchanged tree keeps its identity.
 */
export function useTreeData(): TreeSource {
  const { client, generation } = useConnection();
  const [tree, setTree] = useState<TreeSource>(EMPTY);
  const [reloads, setReloads] = useState(0);

  // A topic that lagged comes back without the changes it dropped (its cursor is null): list again.
  useEffect(
    () => client?.onResubscribe(({ topic }) => TREE_TOPICS.includes(topic) && setReloads((count) => count + 1)),
    [client],
  );

  useEffect(() => {
    if (!client) return;
    let live = true;
    // Changes told before the lists are in wait for them: a list answered just before a change is
    // reported (both in one read) would otherwise be set after it, and undo it.
    let waiting: Change[] | undefined = [];
    const apply = (change: Change) => (waiting ? waiting.push(change) : setTree(change));
    const stops = followTopics(client, apply);
    void loadLists(client).then((loaded) => {
      if (!live || loaded === undefined) return;
      traceStep('lists');
      const told = waiting ?? [];
      waiting = undefined;
      setTree(told.reduce((tree, change) => change(tree), loaded));
    });
    const refresh = () =>
      void Promise.all([readStatus(client), readLists(client).catch(() => undefined)]).then(([read, lists]) => {
        if (!live || waiting) return;
        setTree((current) => {
          const next = { ...current, ...read };
          return lists ? withRemote(next, lists) : next;
        });
      });
    stops.push(
      client.onNotification('node_unreachable', ({ topic }) => topic === null && refresh()),
      client.onNotification('node_reachable', ({ topic }) => topic === null && refresh()),
    );
    const timer = setInterval(refresh, STATUS_EVERY_MS);
    return () => {
      live = false;
      for (const stop of stops) stop();
      clearInterval(timer);
    };
  }, [client, generation, reloads]);

  return tree;
}

/**
 * Subscribes to the topics, then reads the lists: subscribed first, so no
 * change falls between the two. A daemon older than a topic refuses it; the
 * tree then shows what it loaded, without updates. Undefined when the
 * connection dropped (the next one loads again).
 */
async function loadLists(client: Client): Promise<TreeSource | undefined> {
  try {
    const topics = [...TREE_TOPICS, NODES_TOPIC];
    await Promise.all(topics.map((topic) => client.call('subscribe', { topic }).catch(() => undefined)));
    // The status with the lists, so the node row never says connecting beside them.
    const [read, lists] = await Promise.all([readStatus(client), readLists(client)]);
    return { ...read, ...lists };
  } catch {
    return undefined;
  }
}

/** Every node's objects, each with its node; a node that did not answer gives its last known ones, marked stale. */
async function readLists(client: Client): Promise<Lists> {
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
async function readStatus(client: Client): Promise<Pick<TreeSource, 'status' | 'peers' | 'nodes'>> {
  const [status, cluster, nodes] = await Promise.all([
    client.call('status', {}).catch(() => undefined),
    client.call('cluster_status', {}).catch(() => undefined),
    client.call('node_list', {}).catch(() => undefined),
  ]);
  return { status, peers: cluster?.peers ?? [], nodes: nodes?.nodes ?? [] };
}
