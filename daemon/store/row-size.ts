import { CortexError } from '../../src/protocol/errors.js';

/** SQLite's longest string or blob, and so its longest row (SQLITE_MAX_LENGTH as better-sqlite3 builds it). */
export const MAX_ROW_BYTES = 1_000_000_000;

/**
 * A record under this many bytes always fits in its row: the key and indexed values the row adds are
 * parts of the record, at most 17 bytes each where the record took 1 (a number and its header entry),
 * in at most 2,000 columns.
 */
export const ROWS_FIT_BELOW = 400_000_000;

/**
 * The row's columns besides the record, its key and its indexed values (clock, seq, node, del, src, each
 * with its header entry, and the header's length), generously.
 */
const ROW_OVERHEAD = 1024;

/** A column's serial type in the row's header: a varint, at most 9 bytes. */
const HEADER_ENTRY_BYTES = 9;

/**
 * Refuses a record whose row SQLite would refuse (SQLITE_TOOBIG). A put is acknowledged once journaled,
 * before its INSERT runs, so it must be refused here: acknowledged, its INSERT would fail at the next
 * read, stop the store, and fail again at every start. Worth calling only from ROWS_FIT_BELOW bytes on.
 */
export function refuseOversizedRow(
  table: string,
  bytes: Uint8Array,
  key: string | number,
  indexValues: readonly unknown[],
): void {
  let size = columnBytes(bytes) + ROW_OVERHEAD + columnBytes(key);
  for (const value of indexValues) size += columnBytes(value);
  if (size <= MAX_ROW_BYTES) return;
  throw new CortexError(
    'ETOOBIG',
    `The record for ${table} is ${bytes.length} bytes: with its key and indexed attributes, more than the database takes in one row (${MAX_ROW_BYTES} bytes).`,
  );
}

/**
 * What a column takes in the row, at most: its value, and its entry in the row's header (a varint of its
 * serial type, up to 9 bytes; SQLite counts the header against the limit too, ~1 KiB for 256 columns).
 */
function columnBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value) + HEADER_ENTRY_BYTES;
  if (value instanceof Uint8Array) return value.length + HEADER_ENTRY_BYTES;
  return 8 + HEADER_ENTRY_BYTES;
}
