import { useCallback, useEffect, useState } from 'react';
import type { TabContext } from '../tab.js';

export interface TerminalChoice {
  /** The terminal to show, if any. */
  id: string | undefined;
  /**
   * Shows `id` (a terminal just opened in `workspace`) now, ahead of the
   * tree's selection until that moves (to it, once the tree has reloaded),
   * and again whenever the workspace is selected.
   */
  show: (workspace: string, id: string) => void;
}

/**
 * Which terminal the tab shows: the one selected in the tree; else the one it
 * last showed for the selected workspace; else the workspace's newest running
 * terminal (asked of the daemon while the tab is shown); else none.
 */
export function useTerminalChoice(context: TabContext): TerminalChoice {
  const { client, generation, active, selection } = context;
  const [shown, setShown] = useState<ReadonlyMap<string, string>>(new Map());
  const [pinned, setPinned] = useState<string | undefined>(undefined);
  const [newest, setNewest] = useState<{ workspace: string; id: string | undefined } | undefined>(undefined);
  const workspace = selection.workspace?.id;
  const selected = selection.terminal?.id;
  const remembered = workspace === undefined ? undefined : shown.get(workspace);

  useEffect(() => {
    if (!client || !active || selected || !workspace || remembered) return;
    let live = true;
    client.call('term_list', { workspace }).then(
      ({ terminals }) => {
        const running = terminals.filter((terminal) => terminal.status === 'running');
        const latest = running.reduce<(typeof running)[number] | undefined>(
          (best, terminal) => (best && best.created >= terminal.created ? best : terminal),
          undefined,
        );
        if (live) setNewest({ workspace, id: latest?.id });
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, generation, active, selected, workspace, remembered]);

  const remember = useCallback(
    (at: string, id: string) => setShown((map) => (map.get(at) === id ? map : new Map(map).set(at, id))),
    [],
  );
  const show = useCallback(
    (at: string, id: string) => {
      remember(at, id);
      setPinned(id);
    },
    [remember],
  );
  useEffect(() => setPinned(undefined), [selected]);

  const id = pinned ?? selected ?? remembered ?? (newest && newest.workspace === workspace ? newest.id : undefined);
  // What the tab shows for a workspace it shows again, even once the tree's selection moves on.
  const terminalWorkspace = selection.terminal?.workspace ?? workspace;
  useEffect(() => {
    if (id && terminalWorkspace) remember(terminalWorkspace, id);
  }, [id, terminalWorkspace, remember]);

  return { id, show };
}
