import { useEffect, useState } from 'react';
import type { Client } from '../../src/client/client.js';
import type { PeerStatus } from '../../src/protocol/mesh-types.js';
import type { StatusResult } from '../../src/protocol/methods.js';
import type { Project, Session, Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import { useConnection } from '../state/connection.js';
import { listen } from './listen.js';

export interface TreeSource {
  status: StatusResult | undefined;
  projects: Project[];
  workspaces: Workspace[];
  sessions: Session[];
  terminals: TerminalInfo[];
  peers: PeerStatus[];
}

/** The node's status (its resource badges) and the mesh peers are asked for this often. */
const STATUS_EVERY_MS = 5000;

/** The topics that keep the lists current: every change any client makes, as it is made. */
const TREE_TOPICS = ['sessions:*', 'workspaces:*', 'terminals:*'];

/** A list with `item` put in place of the one with its key (or added), or taken out. */
function updated<T>(list: T[], item: T, key: (value: T) => string, removed = false): T[] {
  const others = list.filter((value) => key(value) !== key(item));
  return removed ? others : [...others, item];
}

/**
 * What the tree shows, kept current: the lists loaded on every (re)connection,
 * then changed by the `sessions:*`, `workspaces:*` and `terminals:*` topics
 * as any client adds, removes or changes something, without asking for the
 * lists again. Only the node's status and the mesh peers, whose numbers move
 * on their own, are asked for every few seconds.
 */
export function useTreeData(): TreeSource {
  const { client, generation } = useConnection();
  const [status, setStatus] = useState<StatusResult>();
  const [projects, setProjects] = useState<Project[]>([]);
  const [workspaces, setWorkspaces] = useState<Workspace[]>([]);
  const [sessions, setSessions] = useState<Session[]>([]);
  const [terminals, setTerminals] = useState<TerminalInfo[]>([]);
  const [peers, setPeers] = useState<PeerStatus[]>([]);

  useEffect(() => {
    if (!client) return;
    let live = true;
    // Changes told before the lists are in wait for them: a list answered just before a change is
    // reported (both in one read) would otherwise be set after it, and undo it.
    let waiting: (() => void)[] | undefined = [];
    const apply = (change: () => void) => (waiting ? waiting.push(change) : change());
    const stops = [
      listen(client, 'session_update', ({ session }) =>
        apply(() => setSessions((list) => updated(list, session, (s) => s.id))),
      ),
      listen(client, 'project_update', ({ project, removed }) =>
        apply(() => setProjects((list) => updated(list, project, (p) => p.name, removed))),
      ),
      listen(client, 'workspace_update', ({ workspace, removed }) =>
        apply(() => setWorkspaces((list) => updated(list, workspace, (w) => w.id, removed))),
      ),
      listen(client, 'terminal_update', ({ terminal, removed }) =>
        apply(() => setTerminals((list) => updated(list, terminal, (t) => t.id, removed))),
      ),
    ];
    const refresh = () =>
      void readStatus(client).then((read) => {
        if (!live) return;
        setStatus(read.status);
        setPeers(read.peers);
      });
    void (async () => {
      try {
        // Subscribed before the lists are read, so no change falls between the two. A daemon
        // older than a topic refuses it: the tree then shows what it loaded, without updates.
        await Promise.all(TREE_TOPICS.map((topic) => client.call('subscribe', { topic }).catch(() => undefined)));
        // The status with the lists, so the node row never says connecting beside them.
        const [read, p, w, s, t] = await Promise.all([
          readStatus(client),
          client.call('project_list', {}),
          client.call('workspace_list', {}),
          client.call('session_list', {}),
          client.call('term_list', {}),
        ]);
        if (!live) return;
        setStatus(read.status);
        setPeers(read.peers);
        setProjects(p.projects);
        setWorkspaces(w.workspaces);
        setSessions(s.sessions);
        setTerminals(t.terminals);
        const told = waiting ?? [];
        waiting = undefined;
        for (const change of told) change();
      } catch {
        // The connection dropped; the next generation loads again.
      }
    })();
    const timer = setInterval(refresh, STATUS_EVERY_MS);
    return () => {
      live = false;
      for (const stop of stops) stop();
      clearInterval(timer);
    };
  }, [client, generation]);

  return { status, projects, workspaces, sessions, terminals, peers };
}

/** The node's status and its mesh peers (only administrators may see the cluster; others get none). */
async function readStatus(client: Client): Promise<{ status: StatusResult | undefined; peers: PeerStatus[] }> {
  const [status, cluster] = await Promise.all([
    client.call('status', {}).catch(() => undefined),
    client.call('cluster_status', {}).catch(() => undefined),
  ]);
  return { status, peers: cluster?.peers ?? [] };
}
