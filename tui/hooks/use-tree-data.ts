import { useCallback, useEffect, useState } from 'react';
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
  /** Loads every list again (after adding a workspace or opening a terminal). */
  reload: () => void;
}

const STATUS_EVERY_MS = 5000;

/**
 * What the tree shows, kept current: lists loaded on every (re)connection,
 * sessions updated live from `sessions:*`, and the node's status (resource
 * badges), its terminals and its mesh peers refreshed every few seconds (and
 * terminals whenever one of them ends).
 */
export function useTreeData(): TreeSource {
  const { client, generation } = useConnection();
  const [status, setStatus] = useState<StatusResult>();
  const [projects, setProjects] = useState<Project[]>([]);
  const [workspaces, setWorkspaces] = useState<Workspace[]>([]);
  const [sessions, setSessions] = useState<Session[]>([]);
  const [terminals, setTerminals] = useState<TerminalInfo[]>([]);
  const [peers, setPeers] = useState<PeerStatus[]>([]);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    if (!client) return;
    let live = true;
    const refreshTerminals = () =>
      client.call('term_list', {}).then(
        (next) => live && setTerminals(next.terminals),
        () => undefined,
      );
    // Only administrators may see the cluster; for anyone else the tree has no peers.
    const refreshPeers = () =>
      client.call('cluster_status', {}).then(
        (next) => live && setPeers(next.peers),
        () => undefined,
      );
    const refreshSlowLists = () => {
      client.call('status', {}).then(
        (next) => live && setStatus(next),
        () => undefined,
      );
      void refreshTerminals();
      void refreshPeers();
    };
    const stopExits = client.onNotification('term_exit', () => void refreshTerminals());
    const stopUpdates = client.onNotification('session_update', ({ session }) =>
      setSessions((list) => [...list.filter((item) => item.id !== session.id), session]),
    );
    void (async () => {
      try {
        await client.call('subscribe', { topic: 'sessions:*' });
        // The status with the lists, so the node row never says connecting beside them.
        const [s, p, w, l] = await Promise.all([
          client.call('status', {}),
          client.call('project_list', {}),
          client.call('workspace_list', {}),
          client.call('session_list', {}),
        ]);
        if (!live) return;
        setStatus(s);
        setProjects(p.projects);
        setWorkspaces(w.workspaces);
        setSessions(l.sessions);
        void refreshTerminals();
        void refreshPeers();
      } catch {
        // The connection dropped; the next generation loads again.
      }
    })();
    const timer = setInterval(refreshSlowLists, STATUS_EVERY_MS);
    return () => {
      live = false;
      stopExits();
      stopUpdates();
      clearInterval(timer);
    };
  }, [client, generation, reloads]);

  const reload = useCallback(() => setReloads((count) => count + 1), []);
  return { status, projects, workspaces, sessions, terminals, peers, reload };
}
