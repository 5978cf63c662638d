import { useEffect, useState } from 'react';
import type { Client } from '../../../src/client/client.js';
import { errorMessage } from '../../../src/protocol/errors.js';
import type { WorkspaceDiff } from '../../../src/protocol/workspace-types.js';
import { onNode } from '../../state/on-node.js';

/** A diff the daemon can be asked for: one turn of a session, or a workspace against HEAD; on `node` when it is not this one. */
export type DiffRequest = (
  { kind: 'turn'; session: string; turn: number } | { kind: 'workspace'; workspace: string }
) & {
  node?: string;
};

export interface DiffData {
  /** The requested diff, once loaded (the previous load of the same diff while it loads again). */
  diff: WorkspaceDiff | undefined;
  error: string | undefined;
  loading: boolean;
}

/** Identifies a request: equal keys are the same diff. */
export function requestKey(request: DiffRequest): string {
  return request.kind === 'turn' ? `turn:${request.session}:${request.turn}` : `workspace:${request.workspace}`;
}

async function fetchDiff(client: Client, request: DiffRequest): Promise<WorkspaceDiff> {
  const node = onNode(request.node);
  if (request.kind === 'workspace')
    return (await client.call('ws_diff', { workspace: request.workspace, ...node })).diff;
  return (await client.call('session_turn_diff', { session: request.session, turn: request.turn, ...node })).diff;
}

interface Loaded {
  key: string;
  diff?: WorkspaceDiff;
  error?: string;
}

/**
 * Loads a diff while the tab is shown: when the request changes, when the tab
 * is shown again (the work tree may have changed meanwhile), after a
 * reconnection and whenever `version` changes (a reload, a turn ending).
 * A hidden tab fetches nothing.
 */
export function useDiffData(
  client: Client | undefined,
  generation: number,
  active: boolean,
  request: DiffRequest | undefined,
  version: string,
): DiffData {
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [fetching, setFetching] = useState<string | undefined>(undefined);
  const key = request ? requestKey(request) : undefined;

  useEffect(() => {
    if (!active || !client || !request || key === undefined) return;
    let live = true;
    setFetching(key);
    const settle = (result: Loaded) => {
      if (!live) return;
      setLoaded(result);
      setFetching(undefined);
    };
    fetchDiff(client, request).then(
      (diff) => settle({ key, diff }),
      (error: unknown) => settle({ key, error: errorMessage(error) }),
    );
    return () => {
      live = false;
    };
    // `request` is fully described by `key`: a new object with the same key is the same diff.
  }, [client, generation, active, key, version]);

  const current = loaded?.key === key ? loaded : undefined;
  return {
    diff: current?.diff,
    error: current?.error,
    loading: key !== undefined && (fetching === key || current === undefined),
  };
}
