import { useCallback, useEffect, useState } from 'react';
import type { TabContext } from '../tab.js';

export interface TerminalChoice {
  /** The terminal to show, if any. */
  id: string | undefined;
  /** Records that `id` was shown for `workspace`, to show it again when the workspace is selected. */
  remember: (workspace: string, id: string) => void;
}

/**
 * Which terminal the tab shows: the one selected in the tree; else the one it
 * last showed for the selected workspace; else the workspace's newest running
 * terminal (asked of the daemon while the tab is shown); else none.
 */
export function useTerminalChoice(context: TabContext): TerminalChoice {
  const { client, generation, active, selection } = context;
  const [shown, setShown] = useState<ReadonlyMap<string, string>>(new Map());
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

  const id = selected ?? remembered ?? (newest && newest.workspace === workspace ? newest.id : undefined);
  // What the tab shows for a workspace it shows again, even once the tree's selection moves on.
  const terminalWorkspace = selection.terminal?.workspace ?? workspace;
  useEffect(() => {
    if (id && terminalWorkspace) remember(terminalWorkspace, id);
  }, [id, terminalWorkspace, remember]);

  return { id, remember };
}
