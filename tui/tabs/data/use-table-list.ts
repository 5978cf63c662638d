import { useEffect, useRef, useState } from 'react';
import type { Client } from '../../../src/client/client.js';
import type { Grant } from '../../../src/protocol/access-types.js';
import { errorMessage } from '../../../src/protocol/errors.js';
import type { TableListing } from '../../../src/protocol/store-types.js';
import type { TabContext } from '../tab.js';

export interface TableList {
  tables: readonly TableListing[];
  /** Records per table, as each count arrives (a count scans its table, so they come after the list). */
  counts: ReadonlyMap<string, number>;
  grants: readonly Grant[];
  /** Why the list, or the grants, could not be read. */
  error: string | undefined;
  grantsError: string | undefined;
  loaded: boolean;
}

const EMPTY: TableList = {
  tables: [],
  counts: new Map(),
  grants: [],
  error: undefined,
  grantsError: undefined,
  loaded: false,
};

/**
 * The tables the caller can read, their record counts and the grants the
 * caller may see, read while the tab is shown and again on `reload`.
 */
export function useTableList({ client, generation, active }: TabContext): TableList & {
  reload: () => void;
  recount: (table: string) => void;
} {
  const [list, setList] = useState<TableList>(EMPTY);
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    if (!client || !active) return;
    let live = true;
    const update = (change: (current: TableList) => TableList) => {
      if (live) setList(change);
    };
    client.call('tables', {}).then(
      ({ tables }) => {
        update((current) => ({ ...current, tables, error: undefined, loaded: true }));
        for (const table of tables) countInto(client, table.name, update);
      },
      (error: unknown) => update((current) => ({ ...current, error: errorMessage(error), loaded: true })),
    );
    client.call('acl_list', {}).then(
      ({ grants }) => update((current) => ({ ...current, grants, grantsError: undefined })),
      (error: unknown) => update((current) => ({ ...current, grants: [], grantsError: errorMessage(error) })),
    );
    return () => {
      live = false;
    };
  }, [client, generation, active, reloads]);
  const recount = (table: string) => {
    if (client) countInto(client, table, (change) => setList(change));
  };
  return { ...list, reload: () => setReloads((count) => count + 1), recount };
}

/** How often, at most, live changes make the open table be counted again: a count scans the table. */
const RECOUNT_MS = 1000;

/**
 * Counts `table` again after its records changed (`changes` grows), at most
 * once per RECOUNT_MS, so the row numbers "of N" follow writes made elsewhere.
 */
export function useRecount(recount: (table: string) => void, table: string | undefined, changes: number): void {
  const last = useRef(0);
  const pending = useRef<NodeJS.Timeout | undefined>(undefined);
  const latest = useRef({ recount, table });
  latest.current = { recount, table };
  useEffect(() => {
    if (changes === 0 || pending.current !== undefined) return;
    const wait = Math.max(0, last.current + RECOUNT_MS - Date.now());
    pending.current = setTimeout(() => {
      pending.current = undefined;
      last.current = Date.now();
      if (latest.current.table !== undefined) latest.current.recount(latest.current.table);
    }, wait);
  }, [changes]);
  useEffect(() => () => clearTimeout(pending.current), []);
}

function countInto(client: Client, table: string, update: (change: (current: TableList) => TableList) => void): void {
  client.call('count', { table }).then(
    ({ count }) => update((current) => ({ ...current, counts: new Map(current.counts).set(table, count) })),
    // An older daemon has no count, or the table went: the column stays empty.
    () => undefined,
  );
}
