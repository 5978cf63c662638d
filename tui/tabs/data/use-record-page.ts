import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../../src/protocol/errors.js';
import type { MsgValue } from '../../../src/protocol/msgpack-types.js';
import type { StoredRecord } from '../../../src/protocol/store-types.js';
import type { TabContext } from '../tab.js';
import { type PagePlace, pageRequest } from './pager.js';

/** What a table's open page shows: a page of `all`, or the records a query matched. */
export interface RecordPage {
  /** In key order, whichever way the page was read. */
  records: readonly StoredRecord[];
  /** The cursor `all` returned: where the next page starts (the previous one, read from the end). */
  returned: string | null;
  /** A query matched more records than the page shows. */
  truncated: boolean;
  /** Where this page was read: moves start from the page shown, not from one still being read. */
  place: PagePlace;
}

/** The query the page shows instead of the table's pages: its text, as typed, and its pattern. */
export interface ActiveQuery {
  text: string;
  pattern: Record<string, MsgValue>;
}

/** Live changes reload the page at most this often (and recount the table at most once a second). */
const RELOAD_MS = 100;

/**
 * The open page of a table: read when the table, the place, the query or the
 * page's size change, and again, at most every RELOAD_MS, when a `table:NAME`
 * change arrives. Only this page's records are held.
 */
export function useRecordPage(
  context: TabContext,
  table: string | undefined,
  place: PagePlace,
  query: ActiveQuery | undefined,
  limit: number,
  /** Grows when the user asks for a reload, and with each step of the table's live changes. */
  reloads: number,
) {
  const { client, generation } = context;
  const [page, setPage] = useState<{ page: RecordPage | undefined; error: string | undefined }>({
    page: undefined,
    error: undefined,
  });
  useEffect(() => {
    if (!client || table === undefined) return;
    let live = true;
    const read = query
      ? client
          .call('match', { table, pattern: query.pattern, limit })
          .then(({ records, truncated }) => ({ records, returned: null, truncated, place }))
      : client.call('all', pageRequest(table, place, limit)).then(({ records, cursor }) => ({
          records: place.from === 'end' ? records.reverse() : records,
          returned: cursor,
          truncated: false,
          place,
        }));
    read.then(
      (loaded) => live && setPage({ page: loaded, error: undefined }),
      (error: unknown) => live && setPage({ page: undefined, error: errorMessage(error) }),
    );
    return () => {
      live = false;
    };
  }, [client, generation, table, place, query, limit, reloads]);
  return page;
}

/**
 * Counts the changes to the open table that `table:NAME` tells of, at most
 * one step per RELOAD_MS. Subscribed again after a reconnection from the
 * last change seen (`after`: its seq); a lagged subscription the client takes
 * up again by itself, and the page is read again then too.
 */
export function useTableChanges({ client, generation, active }: TabContext, table: string | undefined): number {
  const [changes, setChanges] = useState(0);
  const lastSeq = useRef<{ table: string; seq: number } | undefined>(undefined);
  useEffect(() => {
    if (!client || !active || table === undefined) return;
    const topic = `table:${table}`;
    let timer: NodeJS.Timeout | undefined;
    const changed = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        setChanges((count) => count + 1);
      }, RELOAD_MS);
    };
    const stopChanges = client.onNotification('table_change', (change) => {
      if (change.table !== table) return;
      lastSeq.current = { table, seq: change.seq };
      changed();
    });
    const stopResubscribed = client.onResubscribe((event) => {
      if (event.topic === topic) changed();
    });
    const after = lastSeq.current?.table === table ? lastSeq.current.seq : undefined;
    client.call('subscribe', after === undefined ? { topic } : { topic, after }).catch(() => undefined);
    return () => {
      if (timer) clearTimeout(timer);
      stopChanges();
      stopResubscribed();
      client.call('unsubscribe', { topic }).catch(() => undefined);
    };
  }, [client, generation, active, table]);
  return changes;
}
