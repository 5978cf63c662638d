import type { Key } from 'ink';
import { useState } from 'react';
import type { StoredRecord } from '../../../src/protocol/store-types.js';
import type { TabContext, TabController } from '../tab.js';
import type { DataAction, DataFocus } from './keys.js';
import { DataPane } from './DataPane.js';
import { FIRST_PAGE, LAST_PAGE, type PagePlace } from './pager.js';
import { usePageSteps } from './use-page-steps.js';
import { parseQuery } from './query-text.js';
import { useAdminView } from './use-admin-view.js';
import { type ActiveQuery, useRecordPage } from './use-record-page.js';
import { useTableList } from './use-table-list.js';
import { dataScreen } from './data-screen.js';

export type DataView = 'tables' | 'records' | 'record' | 'admin';

/** The rows of the pane that are not records: the title, the column titles, the query box and an error. */
const PAGE_CHROME = 4;

const HINTS: Record<DataFocus, string> = {
  'data-tables': 'j/k select · Enter records · a tokens and peers · r reload · ? help',
  'data-records': 'j/k · Enter open · n/p page · g/G first/last · / query · Esc back · ? help',
  'data-record': 'j/k scroll · Esc back · ? help',
  'data-query': 'type a JSON pattern · Enter run · Esc close',
  'data-admin': 'j/k scroll · r reload · Esc back · ? help',
};

/**
 * The Data tab: the tables the caller can read, a table's records a page at a
 * time (paged through `all` by cursor, so only the page shown is held), a query
 * box taking `cortex query`'s JSON, a record as JSON, the selected table's
 * grants, and for administrators the tokens and mesh peers. The open table is
 * kept current through its `table:NAME` subscription.
 */
export function useDataTab(context: TabContext): TabController<DataAction> {
  const { notify } = context;
  const [view, setView] = useState<DataView>('tables');
  const [tableIndex, setTableIndex] = useState(0);
  const [openTable, setOpenTable] = useState<string | undefined>(undefined);
  const [place, setPlace] = useState<PagePlace>(FIRST_PAGE);
  const [row, setRow] = useState(0);
  const [query, setQuery] = useState<ActiveQuery | undefined>(undefined);
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const [queryError, setQueryError] = useState<string | undefined>(undefined);
  const [opened, setOpened] = useState<StoredRecord | undefined>(undefined);
  const [scroll, setScroll] = useState(0);
  const [reloads, setReloads] = useState(0);

  const limit = Math.max(1, context.height - PAGE_CHROME);
  const list = useTableList(context);
  const showsRecords = view === 'records' || view === 'record';
  const page = useRecordPage(context, showsRecords ? openTable : undefined, place, query, limit, reloads);
  const admin = useAdminView(context, context.active && view === 'admin', reloads);
  const selectedTable = list.tables[Math.min(tableIndex, Math.max(0, list.tables.length - 1))];
  const records = page.page?.records ?? [];
  const focus: DataFocus = draft !== undefined ? 'data-query' : `data-${view === 'tables' ? 'tables' : view}`;

  const moveTo = (next: PagePlace) => {
    setPlace(next);
    setRow(0);
  };
  const steps = usePageSteps(page.page, place, moveTo, notify);
  const jump = (edge: PagePlace) => {
    steps.cancel();
    moveTo(edge);
  };
  const toPage = (move: () => void) => {
    if (query) return notify('A query shows one page: narrow it to see other records.');
    move();
  };
  const openRecords = () => {
    if (!selectedTable) return notify('There is no table to open.');
    setOpenTable(selectedTable.name);
    steps.cancel();
    setPlace(FIRST_PAGE);
    setQuery(undefined);
    setRow(0);
    setView('records');
  };
  const openRecord = () => {
    const record = records[row];
    if (record === undefined) return notify('There is no record to open.');
    setOpened(record);
    setScroll(0);
    setView('record');
  };
  const runQuery = () => {
    const parsed = parseQuery(draft ?? '');
    if ('error' in parsed) return setQueryError(parsed.error);
    setQuery(Object.keys(parsed.pattern).length === 0 ? undefined : { text: draft ?? '', pattern: parsed.pattern });
    setDraft(undefined);
    setQueryError(undefined);
    setRow(0);
  };
  const back = () => {
    if (draft !== undefined) {
      setDraft(undefined);
      return setQueryError(undefined);
    }
    if (view === 'record') return setView('records');
    if (view === 'records' && query) return setQuery(undefined);
    setOpenTable(undefined);
    setView('tables');
  };
  const move = (step: number) => {
    if (view === 'tables') return setTableIndex(clamp(tableIndex + step, list.tables.length));
    if (view === 'records') return setRow(clamp(row + step, records.length));
    setScroll(Math.max(0, scroll + step));
  };

  const actions: Record<DataAction, () => void> = {
    up: () => move(-1),
    down: () => move(1),
    open: () => (view === 'tables' ? openRecords() : openRecord()),
    back,
    'next-page': () => toPage(() => steps.step(1)),
    'previous-page': () => toPage(() => steps.step(-1)),
    'first-page': () => toPage(() => jump(FIRST_PAGE)),
    'last-page': () => toPage(() => jump(LAST_PAGE)),
    query: () => setDraft(query?.text ?? ''),
    'query-run': runQuery,
    'query-erase': () => setDraft((text) => (text ?? '').slice(0, -1)),
    admin: () => {
      setScroll(0);
      setView('admin');
    },
    reload: () => {
      list.reload();
      setReloads((count) => count + 1);
    },
  };

  const type = (input: string, key: Key): boolean => {
    if (draft === undefined || key.ctrl || key.meta || key.tab || input.length === 0) return false;
    setQueryError(undefined);
    setDraft(draft + input);
    return true;
  };

  const screen = dataScreen({
    view,
    list,
    tableIndex,
    table: list.tables.find((table) => table.name === openTable),
    page,
    limit,
    row,
    query,
    draft,
    queryError,
    opened,
    scroll,
    admin,
    width: context.width,
    height: context.height,
  });
  return {
    focus,
    perform: (action) => actions[action](),
    type,
    hints: HINTS[focus],
    render: () => <DataPane {...screen} focused={context.focused} width={context.width} height={context.height} />,
  };
}

const clamp = (index: number, length: number) => Math.max(0, Math.min(length - 1, index));
