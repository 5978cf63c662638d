import { useState } from 'react';
import type { StoredRecord } from '../../../src/protocol/store-types.js';
import type { TabContext, TabController } from '../tab.js';
import type { DataAction, DataFocus } from './keys.js';
import { DataPane } from './DataPane.js';
import { FIRST_PAGE, LAST_PAGE, type PagePlace } from './pager.js';
import { usePageSteps } from './use-page-steps.js';
import { useQueryBox } from './use-query-box.js';
import { useAdminView } from './use-admin-view.js';
import { useRecordPage, useTableChanges } from './use-record-page.js';
import { useRecount, useTableList } from './use-table-list.js';
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

/** The tab's state and what it reads from the daemon for it. */
function useDataState(context: TabContext) {
  const { notify } = context;
  const [view, setView] = useState<DataView>('tables');
  const [tableIndex, setTableIndex] = useState(0);
  const [openTable, setOpenTable] = useState<string | undefined>(undefined);
  const [place, setPlace] = useState<PagePlace>(FIRST_PAGE);
  const [row, setRow] = useState(0);
  const box = useQueryBox(() => setRow(0));
  const [opened, setOpened] = useState<StoredRecord | undefined>(undefined);
  const [scroll, setScroll] = useState(0);
  const [reloads, setReloads] = useState(0);

  const limit = Math.max(1, context.height - PAGE_CHROME);
  const list = useTableList(context);
  const showsRecords = view === 'records' || view === 'record';
  const shownTable = showsRecords ? openTable : undefined;
  const changes = useTableChanges(context, shownTable);
  useRecount(list.recount, shownTable, changes);
  const page = useRecordPage(context, shownTable, place, box.query, limit, reloads + changes);
  const admin = useAdminView(context, context.active && view === 'admin', reloads);
  const moveTo = (next: PagePlace) => {
    setPlace(next);
    setRow(0);
  };
  const steps = usePageSteps(page.page, place, moveTo, notify);
  return {
    ...{ notify, view, setView, tableIndex, setTableIndex, openTable, setOpenTable, row, setRow, box },
    ...{ opened, setOpened, scroll, setScroll, reloads, setReloads, limit, list, page, admin, moveTo, steps },
    records: page.page?.records ?? [],
    selectedTable: list.tables[Math.min(tableIndex, Math.max(0, list.tables.length - 1))],
  };
}

type DataState = ReturnType<typeof useDataState>;

/** What each of the tab's keys does. */
function dataActions(state: DataState): Record<DataAction, () => void> {
  const { view, box, notify, steps, records, row, list } = state;
  const toPage = (move: () => void) => {
    if (box.query) return notify('A query shows one page: narrow it to see other records.');
    move();
  };
  const jump = (edge: PagePlace) => {
    steps.cancel();
    state.moveTo(edge);
  };
  const openRecords = () => {
    if (!state.selectedTable) return notify('There is no table to open.');
    state.setOpenTable(state.selectedTable.name);
    box.clear();
    jump(FIRST_PAGE);
    state.setView('records');
  };
  const openRecord = () => {
    const record = records[row];
    if (record === undefined) return notify('There is no record to open.');
    state.setOpened(record);
    state.setScroll(0);
    state.setView('record');
  };
  const back = () => {
    if (box.draft !== undefined) return box.close();
    if (view === 'record') return state.setView('records');
    if (view === 'records' && box.query) return box.clear();
    state.setOpenTable(undefined);
    state.setView('tables');
  };
  const move = (step: number) => {
    if (view === 'tables') return state.setTableIndex(clamp(state.tableIndex + step, list.tables.length));
    if (view === 'records') return state.setRow(clamp(row + step, records.length));
    state.setScroll(Math.max(0, state.scroll + step));
  };
  return {
    up: () => move(-1),
    down: () => move(1),
    open: () => (view === 'tables' ? openRecords() : openRecord()),
    back,
    'next-page': () => toPage(() => steps.step(1)),
    'previous-page': () => toPage(() => steps.step(-1)),
    'first-page': () => toPage(() => jump(FIRST_PAGE)),
    'last-page': () => toPage(() => jump(LAST_PAGE)),
    query: box.open,
    'query-run': box.run,
    'query-erase': box.erase,
    admin: () => {
      state.setScroll(0);
      state.setView('admin');
    },
    reload: () => {
      list.reload();
      state.setReloads((count) => count + 1);
    },
  };
}

/**
 * The Data tab: the tables the caller can read, a table's records a page at a
 * time (paged through `all` by cursor, so only the page shown is held), a query
 * box taking `cortex query`'s JSON, a record as JSON, the selected table's
 * grants, and for administrators the tokens and mesh peers. The open table is
 * kept current through its `table:NAME` subscription.
 */
export function useDataTab(context: TabContext): TabController<DataAction> {
  const state = useDataState(context);
  const { view, box, list } = state;
  const focus: DataFocus = box.draft !== undefined ? 'data-query' : `data-${view}`;
  const actions = dataActions(state);
  const screen = dataScreen({
    ...{ view, list, tableIndex: state.tableIndex, page: state.page, limit: state.limit, row: state.row },
    ...{ query: box.query, draft: box.draft, queryError: box.error, opened: state.opened, scroll: state.scroll },
    table: list.tables.find((table) => table.name === state.openTable),
    admin: state.admin,
    width: context.width,
    height: context.height,
  });
  return {
    focus,
    perform: (action) => actions[action](),
    type: box.type,
    hints: HINTS[focus],
    render: () => <DataPane {...screen} focused={context.focused} width={context.width} height={context.height} />,
  };
}

const clamp = (index: number, length: number) => Math.max(0, Math.min(length - 1, index));
