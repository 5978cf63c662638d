import { toJson } from '../../../src/json-values.js';
import type { StoredRecord } from '../../../src/protocol/store-types.js';

/** The widest a column grows when others follow it; the last column takes what is left. */
const COLUMN_MAX = 24;

/** A value on one line of a table: text as it is (newlines shown as ⏎), anything else as compact JSON. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value.replace(/\r?\n/g, '⏎').replace(/\t/g, ' ');
  return toJson(value);
}

export interface Column {
  title: string;
  width: number;
}

/**
 * Column widths for rows of text: each as wide as its title and its widest
 * cell, at most COLUMN_MAX, so the first columns of a wide record stay in
 * view at 80 columns; the line is cut at the pane's edge.
 */
export function fitColumns(titles: readonly string[], rows: readonly (readonly string[])[]): Column[] {
  return titles.map((title, index) => ({
    title,
    width: Math.min(COLUMN_MAX, Math.max(title.length, ...rows.map((row) => [...(row[index] ?? '')].length))),
  }));
}

/** One line of a table: each cell cut or padded to its column, two spaces between columns. */
export function tableLine(columns: readonly Column[], cells: readonly string[]): string {
  return columns.map((column, index) => fit(cells[index] ?? '', column.width)).join('  ');
}

function fit(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/** A record's cells under its table's attributes; fields no attribute names show as JSON in a last column. */
export function recordCells(attributes: readonly string[], record: StoredRecord): string[] {
  const cells = attributes.map((attribute) => cellText(record[attribute]));
  const extra = Object.fromEntries(Object.entries(record).filter(([name]) => !attributes.includes(name)));
  return Object.keys(extra).length === 0 ? cells : [...cells, cellText(extra)];
}

/** The titles over a page of records: the attributes, and `…` when some record has more fields. */
export function recordTitles(attributes: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return rows.some((row) => row.length > attributes.length) ? [...attributes, '…'] : [...attributes];
}
