import { useEffect, useState } from 'react';
import type { Client } from '../../src/client/client.js';
import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import type { StatusResult } from '../../src/protocol/methods.js';
import type { Project, Session, Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import { useConnection } from '../state/connection.js';

export interface TreeSource {
  status: StatusResult | undefined;
  projects: Project[];
  workspaces: Workspace[];
  sessions: Session[];
  terminals: TerminalInfo[];
  peers: PeerStatus[];
}

const EMPTY: TreeSource = {
  status: undefined,
  projects: [],
  workspaces: [],
  sessions: [],
  terminals: [],
  peers: [],
};

/** The node's status (its resource badges) and the mesh peers are asked for this often. */
const STATUS_EVERY_MS = 5000;

/** The topics that keep the lists current: every change any client makes, as it is made. */
const TREE_TOPICS = ['sessions:*', 'workspaces:*', 'terminals:*'];

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
      apply((tree) => ({ ...tree, projects: updated(tree.projects, project, (p) => p.name, removed) })),
    ),
    client.onNotification('workspace_update', ({ workspace, removed }) =>
      apply((tree) => ({ ...tree, workspaces: updated(tree.workspaces, workspace, (w) => w.id, removed) })),
    ),
    client.onNotification('terminal_update', ({ terminal, removed }) =>
      apply((tree) => ({ ...tree, terminals: updated(tree.terminals, terminal, (t) => t.id, removed) })),
    ),
  ];
}

/**
 * What the tree shows, kept current: the lists loaded on every (re)connection,
 * then changed by the `sessions:*`, `workspaces:*` and `terminals:*` topics
 * as any client adds, removes or changes something, without asking for the
 * lists again. Only the node's status and the mesh peers, whose numbers move
 * on their own, are asked for every few seconds. One object, changed whole:
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
      const told = waiting ?? [];
      waiting = undefined;
      setTree(told.reduce((tree, change) => change(tree), loaded));
    });
    const timer = setInterval(
      () =>
        void readStatus(client).then((read) => {
          if (live) setTree((current) => ({ ...current, ...read }));
        }),
      STATUS_EVERY_MS,
    );
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
    await Promise.all(TREE_TOPICS.map((topic) => client.call('subscribe', { topic }).catch(() => undefined)));
    // The status with the lists, so the node row never says connecting beside them.
    const [read, projects, workspaces, sessions, terminals] = await Promise.all([
      readStatus(client),
      client.call('project_list', {}),
      client.call('workspace_list', {}),
      client.call('session_list', {}),
      client.call('term_list', {}),
    ]);
    return {
      ...read,
      projects: projects.projects,
      workspaces: workspaces.workspaces,
      sessions: sessions.sessions,
      terminals: terminals.terminals,
    };
  } catch {
    return undefined;
  }
}

/** The node's status and its mesh peers (only administrators may see the cluster; others get none). */
async function readStatus(client: Client): Promise<Pick<TreeSource, 'status' | 'peers'>> {
  const [status, cluster] = await Promise.all([
    client.call('status', {}).catch(() => undefined),
    client.call('cluster_status', {}).catch(() => undefined),
  ]);
  return { status, peers: cluster?.peers ?? [] };
}
