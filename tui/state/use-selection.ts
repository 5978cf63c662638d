import { useEffect, useMemo, useState } from 'react';
import type { Session } from '../../src/protocol/runtime-types.js';
import type { TreeSource } from './tree.js';
import type { Selection } from '../tabs/tab.js';
import { buildTree, type TreeRow } from './tree.js';

export interface TreeSelection {
  rows: TreeRow[];
  /** The index of the selected row in `rows`. */
  selected: number;
  row: TreeRow | undefined;
  /** What the tabs act on. */
  selection: Selection;
  /** The session whose events are loaded: the last one selected in the tree. */
  opened: Session | undefined;
  /** The node of the opened session, when it is not this one. */
  openedNode: string | undefined;
  /** Selects a row by id once the tree has it (a session just started, a terminal just opened). */
  select: (id: string) => void;
  /** Moves the selection by `step` rows. */
  move: (step: number) => void;
}

/**
 * The tree's rows and what is selected in them. Selecting a session opens it
 * (its events load); a session updated since it was last open is marked unseen.
 */
export function useSelection(tree: TreeSource): TreeSelection {
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined);
  const [opened, setOpened] = useState<string | undefined>(undefined);
  const [viewed, setViewed] = useState<ReadonlyMap<string, number>>(new Map());

  const unseen = useMemo(
    () =>
      new Set(
        tree.sessions
          .filter((session) => session.id !== opened && session.updated > (viewed.get(session.id) ?? session.created))
          .map((session) => session.id),
      ),
    [tree.sessions, viewed, opened],
  );
  const rows = useMemo(() => buildTree({ ...tree, unseen }), [tree, unseen]);
  const selected = Math.max(
    0,
    rows.findIndex((row) => row.id === selectedId),
  );
  const row = rows[selected];
  const session = tree.sessions.find((item) => item.id === opened);

  useEffect(() => {
    if (row?.kind === 'session' && row.id !== opened) setOpened(row.id);
  }, [row, opened]);
  useEffect(() => {
    if (session) setViewed((map) => new Map(map).set(session.id, session.updated));
  }, [session]);

  const self = tree.status?.node;
  const openedNode = remoteNode(tree.workspaces.find((item) => item.id === session?.workspace)?.node, self);

  const selection = useMemo((): Selection => {
    // Another node's row is that node alone: nothing of the session open elsewhere.
    const workspaceId = workspaceOf(row) ?? (row?.kind === 'peer' ? undefined : session?.workspace);
    const workspace = tree.workspaces.find((item) => item.id === workspaceId);
    const node = remoteNode(nodeOf(row) ?? workspace?.node, self);
    return {
      workspace,
      project: tree.projects.find(
        (item) => item.name === workspace?.project && remoteNode(item.node, self) === remoteNode(workspace.node, self),
      ),
      session: session && session.workspace === workspace?.id ? session : undefined,
      terminal: row?.kind === 'terminal' ? row.terminal : undefined,
      node,
    };
  }, [row, session, tree.workspaces, tree.projects, self]);

  // Functional, so several keys handled before the next render each move one row.
  const move = (step: number) =>
    setSelectedId((current) => {
      const at = Math.max(
        0,
        rows.findIndex((item) => item.id === current),
      );
      return rows[Math.max(0, Math.min(rows.length - 1, at + step))]?.id;
    });

  return { rows, selected, row, selection, opened: session, openedNode, select: setSelectedId, move };
}

/** `node` when it is another node than this one (`self`); undefined for this node's. */
function remoteNode(node: string | undefined, self: string | undefined): string | undefined {
  return node === self ? undefined : node;
}

/** The node a row belongs to: its own name for a node's row. */
function nodeOf(row: TreeRow | undefined): string | undefined {
  if (row === undefined) return undefined;
  if (row.kind === 'node') return undefined;
  return row.kind === 'peer' ? row.label : row.node;
}

/** The workspace a row is in: the row itself, or the workspace of its session or terminal. */
function workspaceOf(row: TreeRow | undefined): string | undefined {
  if (row?.kind === 'workspace') return row.id;
  if (row?.kind === 'session') return row.session.workspace;
  if (row?.kind === 'terminal') return row.terminal.workspace;
  return undefined;
}
