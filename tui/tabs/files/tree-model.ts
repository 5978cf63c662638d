import type { FsEntry, FsListResult } from '../../../src/protocol/workspace-types.js';

/** What is loaded of one directory: its first pages, in the daemon's order (folders first). */
export interface Listing {
  entries: readonly FsEntry[];
  total: number;
  /** Where the next page starts, or null when all is loaded. */
  next: number | null;
}

/** The lazily loaded tree: only the directories that were opened are listed. */
export interface TreeModel {
  listings: ReadonlyMap<string, Listing>;
  expanded: ReadonlySet<string>;
  loading: ReadonlySet<string>;
  errors: ReadonlyMap<string, string>;
}

export type TreeRow =
  | { kind: 'entry'; path: string; entry: FsEntry; depth: number; expanded: boolean }
  | { kind: 'more'; path: string; dir: string; depth: number; remaining: number }
  | { kind: 'note'; path: string; dir: string; depth: number; text: string };

export const ROOT = '.';

/** The end of a "more" row's path: no file name holds a NUL. */
export const MORE = '\u0000more';

export const EMPTY_TREE: TreeModel = {
  listings: new Map(),
  expanded: new Set([ROOT]),
  loading: new Set(),
  errors: new Map(),
};

export function childPath(dir: string, name: string): string {
  return dir === ROOT ? name : `${dir}/${name}`;
}

export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? ROOT : path.slice(0, slash);
}

/** Whether `path` is `dir` or inside it. */
export function isWithin(path: string, dir: string): boolean {
  return dir === ROOT || path === dir || path.startsWith(`${dir}/`);
}

/** The rows on screen when everything is drawn: the expanded folders' entries, depth first. */
export function flatten(model: TreeModel): TreeRow[] {
  const rows: TreeRow[] = [];
  const walk = (dir: string, depth: number) => {
    const listing = model.listings.get(dir);
    const error = model.errors.get(dir);
    if (!listing) {
      const text = error ?? (model.loading.has(dir) ? 'loading…' : '');
      if (text !== '') rows.push({ kind: 'note', path: `${dir}/\u0000note`, dir, depth, text });
      return;
    }
    if (listing.entries.length === 0) {
      rows.push({ kind: 'note', path: `${dir}/\u0000note`, dir, depth, text: error ?? '(empty)' });
    }
    for (const entry of listing.entries) {
      const path = childPath(dir, entry.name);
      const open = entry.type === 'directory' && model.expanded.has(path);
      rows.push({ kind: 'entry', path, entry, depth, expanded: open });
      if (open) walk(path, depth + 1);
    }
    if (listing.next !== null) {
      const remaining = listing.total - listing.entries.length;
      rows.push({ kind: 'more', path: `${dir}/${MORE}`, dir, depth, remaining });
    }
  };
  walk(ROOT, 0);
  return rows;
}

/** A page arrived: the first page replaces what was loaded, a later one is added to it. */
export function withListing(model: TreeModel, dir: string, page: FsListResult, offset: number): TreeModel {
  const previous = model.listings.get(dir);
  const entries = offset === 0 || !previous ? page.entries : [...previous.entries.slice(0, offset), ...page.entries];
  const listings = new Map(model.listings).set(dir, { entries, total: page.total, next: page.next });
  const errors = new Map(model.errors);
  errors.delete(dir);
  return { ...model, listings, errors, loading: without(model.loading, dir) };
}

export function withError(model: TreeModel, dir: string, message: string): TreeModel {
  return { ...model, errors: new Map(model.errors).set(dir, message), loading: without(model.loading, dir) };
}

export function withLoading(model: TreeModel, dir: string): TreeModel {
  return { ...model, loading: new Set(model.loading).add(dir) };
}

export function withExpanded(model: TreeModel, dir: string, open: boolean): TreeModel {
  return { ...model, expanded: open ? new Set(model.expanded).add(dir) : without(model.expanded, dir) };
}

/** A directory was deleted: forget what was loaded of it and below it. */
export function withoutDirectory(model: TreeModel, dir: string): TreeModel {
  const keep = (path: string) => !isWithin(path, dir) || dir === ROOT;
  return {
    ...model,
    listings: new Map([...model.listings].filter(([path]) => keep(path))),
    expanded: new Set([...model.expanded].filter(keep)),
    errors: new Map([...model.errors].filter(([path]) => keep(path))),
  };
}

function without<T>(set: ReadonlySet<T>, item: T): ReadonlySet<T> {
  const copy = new Set(set);
  copy.delete(item);
  return copy;
}
