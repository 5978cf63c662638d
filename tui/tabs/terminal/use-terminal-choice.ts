import { useCallback, useEffect, useState } from 'react';
import { onNode } from '../../state/on-node.js';
import type { TabContext } from '../tab.js';

export interface TerminalChoice {
  /** The terminal to show, if any. */
  id: string | undefined;
  /** Its node, when it is not this one. */
  node: string | undefined;
  /**
   * Shows `id` (a terminal just opened in `workspace`) now, ahead of the
   * tree's selection until that moves (to it, once the tree has reloaded),
   * and again whenever the workspace is selected.
   */
  show: (workspace: string, id: string, node: string | undefined) => void;
}

/**
 * Which terminal the tab shows: the one selected in the tree; else the one it
 * last showed for the selected workspace; else the workspace's newest running
 * terminal (asked of the daemon while the tab is shown); else none.
 */
export function useTerminalChoice(context: TabContext): TerminalChoice {
  const { client, generation, active, selection } = context;
  const [shown, setShown] = useState<ReadonlyMap<string, string>>(new Map());
  const [pinned, setPinned] = useState<{ id: string; node: string | undefined } | undefined>(undefined);
  const [newest, setNewest] = useState<{ workspace: string; id: string | undefined } | undefined>(undefined);
  const workspace = selection.workspace?.id;
  const selected = selection.terminal?.id;
  const remembered = workspace === undefined ? undefined : shown.get(workspace);

  useEffect(() => {
    if (!client || !active || selected || !workspace || remembered) return;
    let live = true;
    client.call('term_list', { workspace, ...onNode(selection.node) }).then(
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
  }, [client, generation, active, selected, workspace, selection.node, remembered]);

  const remember = useCallback(
    (at: string, id: string) => setShown((map) => (map.get(at) === id ? map : new Map(map).set(at, id))),
    [],
  );
  const show = useCallback(
    (at: string, id: string, node: string | undefined) => {
      remember(at, id);
      setPinned({ id, node });
    },
    [remember],
  );
  useEffect(() => setPinned(undefined), [selected]);

  // Every terminal but a pinned one is of the selected workspace, so of the selection's node.
  const id = pinned?.id ?? selected ?? remembered ?? (newest && newest.workspace === workspace ? newest.id : undefined);
  const node = pinned ? pinned.node : selection.node;
  // What the tab shows for a workspace it shows again, even once the tree's selection moves on.
  const terminalWorkspace = selection.terminal?.workspace ?? workspace;
  useEffect(() => {
    if (id && terminalWorkspace) remember(terminalWorkspace, id);
  }, [id, terminalWorkspace, remember]);

  return { id, node, show };
}
