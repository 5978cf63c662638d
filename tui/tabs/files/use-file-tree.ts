import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Client } from '../../../src/client/client.js';
import { errorMessage } from '../../../src/protocol/errors.js';
import { onNode } from '../../state/on-node.js';
import {
  EMPTY_TREE,
  flatten,
  MORE,
  ROOT,
  type TreeModel,
  type TreeRow,
  withError,
  withExpanded,
  withListing,
  withLoading,
  withoutDirectory,
} from './tree-model.js';

/** Entries per fs_list call: a folder of 100,000 files loads as the list is scrolled down to its end. */
export const PAGE = 200;

interface TreeState {
  workspace: string | undefined;
  model: TreeModel;
  /** The selected row by path, so it stays put when rows above it come or go. */
  selected: string | undefined;
  /** Where it was, for when its row disappears. */
  index: number;
  top: number;
}

export interface FileTree {
  rows: readonly TreeRow[];
  selected: number;
  row: TreeRow | undefined;
  /** The first row on screen. */
  top: number;
  move: (step: number) => void;
  moveTo: (index: number) => void;
  select: (path: string) => void;
  expand: (dir: string) => void;
  collapse: (dir: string) => void;
  /** Lists the given loaded folders again (all of them when none given); the root when nothing is loaded. */
  refresh: (dirs?: readonly string[]) => void;
  /** A folder was deleted on disk. */
  forget: (dir: string) => void;
  isLoaded: (dir: string) => boolean;
}

function initial(workspace: string | undefined): TreeState {
  return { workspace, model: EMPTY_TREE, selected: undefined, index: 0, top: 0 };
}

/**
 * The workspace's tree, listed lazily: a folder's entries are fetched when it
 * is opened, a page at a time, the next page when its end scrolls into view.
 */
export function useFileTree(
  client: Client | undefined,
  workspace: string | undefined,
  /** The workspace's node, when it is not this one (see onNode). */
  node: string | undefined,
  active: boolean,
  height: number,
): FileTree {
  const [stored, setTree] = useState(() => initial(workspace));
  // A new workspace starts from nothing; set during render, so the old tree is never drawn for it.
  const tree = stored.workspace === workspace ? stored : initial(workspace);
  if (tree !== stored) setTree(tree);
  const rows = useMemo(() => flatten(tree.model), [tree.model]);
  // A "more" row is held by its place: when its page arrives, the first new entry is selected, not the row moved below it.
  const byPlace = tree.selected === undefined || tree.selected.endsWith(MORE);
  const found = byPlace ? -1 : rows.findIndex((row) => row.path === tree.selected);
  const selected = Math.max(0, Math.min(rows.length - 1, found >= 0 ? found : tree.index));
  const top = follow(tree.top, selected, height, rows.length);

  const update = useCallback(
    (change: (model: TreeModel) => TreeModel) =>
      setTree((current) => (current.workspace === workspace ? { ...current, model: change(current.model) } : current)),
    [workspace],
  );

  const list = useCallback(
    (dir: string, offset: number, limit: number) => {
      if (!client || workspace === undefined) return;
      update((model) => withLoading(model, dir));
      client.call('fs_list', { workspace, path: dir === ROOT ? undefined : dir, offset, limit, ...onNode(node) }).then(
        (page) => update((model) => withListing(model, dir, page, offset)),
        (error: unknown) => update((model) => withError(model, dir, errorMessage(error))),
      );
    },
    [client, workspace, node, update],
  );

  const moveTo = (index: number) => {
    const next = Math.max(0, Math.min(rows.length - 1, index));
    const path = rows[next]?.path;
    setTree((current) => ({ ...current, selected: path, index: next, top: follow(top, next, height, rows.length) }));
  };

  const refresh = (dirs?: readonly string[]) => {
    const loaded = tree.model.listings;
    if (loaded.size === 0 && !tree.model.loading.has(ROOT)) return list(ROOT, 0, PAGE);
    for (const dir of dirs ?? [...loaded.keys()]) {
      const listing = loaded.get(dir);
      if (listing) list(dir, 0, Math.max(PAGE, listing.entries.length));
    }
  };

  useNextPages(active, tree.model, rows.slice(top, top + height), list);

  return {
    rows,
    selected,
    row: rows[selected],
    top,
    move: (step) => moveTo(selected + step),
    moveTo,
    select: (path) => setTree((current) => ({ ...current, selected: path })),
    expand: (dir) => {
      update((model) => withExpanded(model, dir, true));
      if (!tree.model.listings.has(dir) && !tree.model.loading.has(dir)) list(dir, 0, PAGE);
    },
    collapse: (dir) => update((model) => withExpanded(model, dir, false)),
    refresh,
    forget: (dir) => update((model) => withoutDirectory(model, dir)),
    isLoaded: (dir) => tree.model.listings.has(dir),
  };
}

/** The "more" row of a long folder came into view (`onScreen`): its next page is fetched, once. */
function useNextPages(
  active: boolean,
  model: TreeModel,
  onScreen: readonly TreeRow[],
  list: (dir: string, offset: number, limit: number) => void,
): void {
  const wanted = onScreen.flatMap((row) => (row.kind === 'more' && !model.loading.has(row.dir) ? [row.dir] : []));
  const wantedKey = wanted.join('\n');
  useEffect(() => {
    if (!active || wantedKey === '') return;
    for (const dir of wantedKey.split('\n')) {
      const listing = model.listings.get(dir);
      if (listing?.next != null) list(dir, listing.next, PAGE);
    }
    // Keyed by the folders wanted, not the model: a page is asked for once, not on every render.
  }, [active, wantedKey, list]);
}

/** The first row to show so that `index` is on screen, scrolling as little as possible. */
function follow(top: number, index: number, height: number, count: number): number {
  const rows = Math.max(1, height);
  const scrolled = index < top ? index : index >= top + rows ? index - rows + 1 : top;
  return Math.max(0, Math.min(scrolled, Math.max(0, count - rows)));
}
