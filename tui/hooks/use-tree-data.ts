import { useEffect, useState } from 'react';
import { useConnection, useTreeAhead } from '../state/connection.js';
import {
  type Change,
  isLocal,
  type Lists,
  followTopics,
  loadLists,
  readLists,
  readStatus,
  TREE_TOPICS,
  withChanges,
} from '../state/tree-source.js';
import type { TreeSource } from '../state/tree.js';

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
 * lists again. On the connection `cortex tui` opened while loading, the lists
 * it already asked for are taken instead (state/tree-ahead.ts), and when they
 * are in before the first frame, that frame shows them. The lists are of
 * every node (`nodes: "all"`); other nodes' objects are asked for again every
 * few seconds and whenever a node goes away or comes back (`nodes:*`), as are
 * the node's status, the mesh peers and the node states, whose numbers move
 * on their own. One object, changed whole: each change is one render (Ink
 * renders every update made outside a key handler on its own), and an
 * unchanged tree keeps its identity.
 */
export function useTreeData(): TreeSource {
  const { client, generation } = useConnection();
  const ahead = useTreeAhead();
  const [tree, setTree] = useState<TreeSource>(() => ahead?.peek(client) ?? EMPTY);
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
    // The lists asked for ahead on this connection, with what their topics told until now; else asked now.
    const loading = ahead?.take(client) ?? loadLists(client);
    void loading.then((loaded) => {
      if (!live || loaded === undefined) return;
      const told = waiting ?? [];
      waiting = undefined;
      setTree(withChanges(loaded, told));
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
  }, [client, generation, reloads, ahead]);

  return tree;
}
