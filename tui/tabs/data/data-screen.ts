import type { StoredRecord, TableListing } from '../../../src/protocol/store-types.js';
import { wrapText } from '../../state/event-lines.js';
import { adminLines } from './admin-lines.js';
import { recordCells, recordTitles } from './cells.js';
import type { DataScreen } from './DataPane.js';
import { pageRows } from './pager.js';
import { recordLines } from './record-lines.js';
import { TABLE_TITLES, tableCells, tableDetails } from './table-lines.js';
import type { AdminView } from './use-admin-view.js';
import type { ActiveQuery, RecordPage } from './use-record-page.js';
import type { TableList } from './use-table-list.js';

export interface DataState {
  view: 'tables' | 'records' | 'record' | 'admin';
  list: TableList;
  tableIndex: number;
  /** The open table. */
  table: TableListing | undefined;
  page: { page: RecordPage | undefined; error: string | undefined };
  limit: number;
  row: number;
  query: ActiveQuery | undefined;
  draft: string | undefined;
  queryError: string | undefined;
  opened: StoredRecord | undefined;
  scroll: number;
  admin: AdminView;
  width: number;
  height: number;
}

/** What the pane shows for the tab's state. */
export function dataScreen(state: DataState): DataScreen {
  if (state.view === 'admin') return adminScreen(state);
  if (state.view === 'record') return recordScreen(state);
  if (state.view === 'records') return recordsScreen(state);
  return tablesScreen(state);
}

function tablesScreen({ list, tableIndex, height, width }: DataState): DataScreen {
  if (!list.loaded) return { title: 'Data', lines: ['Reading the tables…'] };
  const title = `Data · ${list.tables.length} table(s) you can read`;
  if (list.tables.length === 0) {
    return { title, lines: ['No tables yet: cortex create_table NAME KEY,ATTR,...'], error: list.error };
  }
  const selected = Math.min(tableIndex, list.tables.length - 1);
  const room = Math.max(1, Math.floor((height - 2) / 2));
  const start = windowStart(selected, list.tables.length, room);
  const rows = list.tables.slice(start, start + room).map((table) => tableCells(table, list.counts.get(table.name)));
  const chosen = list.tables[selected]!;
  const details = tableDetails(chosen, list.grants, list.grantsError).flatMap((line) => wrapText(line, width - 2));
  return {
    title,
    table: { titles: TABLE_TITLES, rows, selected: selected - start },
    lines: ['', ...details].slice(0, Math.max(0, height - 2 - rows.length)),
    error: list.error,
  };
}

function recordsScreen({ table, page, limit, row, query, draft, queryError, list }: DataState): DataScreen {
  const name = table?.name ?? '';
  const attributes = table?.attributes ?? [];
  const records = page.page?.records ?? [];
  const rows = records.map((record) => recordCells(attributes, record));
  const where = query
    ? `${records.length} matched${page.page?.truncated ? ' (more match: narrow the query)' : ''}`
    : page.page
      ? pageRows(page.page.place, records.length, limit, list.counts.get(name))
      : 'reading…';
  const footer =
    draft !== undefined
      ? `/ ${draft}█`
      : query
        ? `query ${query.text} · Esc clears it`
        : '/ query · n/p page · g/G first/last';
  return {
    title: `${name} · ${where}`,
    table: { titles: recordTitles(attributes, rows), rows, selected: row },
    lines: [footer],
    error: queryError ?? page.error,
  };
}

function recordScreen({ table, opened, scroll, width, height }: DataState): DataScreen {
  const key = table && opened ? JSON.stringify(opened[table.attributes[0] ?? ''] ?? null) : '';
  const lines = opened ? recordLines(opened).flatMap((line) => wrapText(line, width - 2)) : [];
  const top = Math.min(scroll, Math.max(0, lines.length - (height - 1)));
  return { title: `${table?.name ?? ''} · record ${key}`, lines: lines.slice(top, top + height - 1) };
}

function adminScreen({ admin, scroll, height }: DataState): DataScreen {
  const title = 'Tokens and mesh peers';
  if (admin.state === 'loading') return { title, lines: ['Reading…'] };
  if (admin.state === 'refused') return { title, lines: [admin.sentence] };
  if (admin.state === 'failed') return { title, lines: [], error: admin.sentence };
  const lines = adminLines(admin.tokens, admin.cluster);
  const top = Math.min(scroll, Math.max(0, lines.length - (height - 1)));
  return { title, lines: lines.slice(top, top + height - 1) };
}

/** The first row of a window of `room` rows that keeps `selected` in view, near its middle. */
export function windowStart(selected: number, total: number, room: number): number {
  return Math.max(0, Math.min(selected - Math.floor(room / 2), total - room));
}
