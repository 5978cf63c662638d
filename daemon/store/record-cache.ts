import type { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { RecordKey } from '../../src/protocol/store-types.js';

/** The cache's bound unless the daemon's config (`record_cache_mb`) says otherwise. */
export const DEFAULT_RECORD_CACHE_MB = 32;

/**
 * What a cached record is counted as besides its bytes: the Buffer and its ArrayBuffer, the
 * RawMsgpack, the entry, its slots in the table's Map and in the cache's order, and its key
 * (measured at ~375 bytes on Node 20 for 13-character keys; rounded up). Without it, a table of tiny
 * records could hold millions of entries under a limit meant in megabytes.
 */
export const ENTRY_OVERHEAD_BYTES = 384;

/** One cached record, kept in the cache's order of arrival as well as in its table's map. */
export interface CachedRecord {
  records: TableRecords;
  key: RecordKey;
  record: RawMsgpack;
  size: number;
}

/**
 * One table's cached records by key. A JavaScript Map compares keys as SQLite compares the
 * table's `k` column (ANY in a STRICT table, so no conversion): the number 1 and the string "1"
 * are two rows there and two keys here; numbers are bound as REAL, so 1 and 1.0 are one row and
 * one key; strings compare by their bytes, and better-sqlite3's UTF-8 keeps distinct strings distinct.
 */
export type TableRecords = Map<RecordKey, CachedRecord>;

/**
 * Stored records' bytes, kept in memory so that a get of a record read before costs a Map
 * lookup instead of a SQLite statement (binding, stepping, a new Buffer). Bounded by `limit`
 * bytes (each record's size plus ENTRY_OVERHEAD_BYTES): past it the oldest entries go, first
 * in, first out, so a hit reorders nothing. Every write of a row forgets it in the same turn
 * (see the forget calls at the store's write sites), so a cached record is always what
 * SQLite holds; a rollback clears everything.
 */
export class RecordCache {
  /** Every entry, oldest first: the next to go. */
  private readonly order = new Set<CachedRecord>();
  private used = 0;

  constructor(private limit: number) {}

  /** Bytes held, overhead included: never above the limit. */
  get bytes(): number {
    return this.used;
  }

  get entries(): number {
    return this.order.size;
  }

  /** The record cached for `key`, if any. */
  find(records: TableRecords, key: RecordKey): RawMsgpack | undefined {
    return records.get(key)?.record;
  }

  /** Keeps a record just read from SQLite (the caller read it after every earlier write). */
  add(records: TableRecords, key: RecordKey, record: RawMsgpack): void {
    const size = record.bytes.length + ENTRY_OVERHEAD_BYTES;
    if (size > this.limit) return;
    const entry: CachedRecord = { records, key, record, size };
    const old = records.get(key);
    if (old !== undefined) this.remove(old);
    records.set(key, entry);
    this.order.add(entry);
    this.used += size;
    while (this.used > this.limit) this.remove(this.order.values().next().value!);
  }

  /** A row was written, deleted or removed: its cached bytes go. Costs one size check while the table has none. */
  forget(records: TableRecords, key: RecordKey): void {
    if (records.size === 0) return;
    const entry = records.get(key);
    if (entry !== undefined) this.remove(entry);
  }

  /** The table was dropped: its records go, and their bytes leave the count. */
  forgetTable(records: TableRecords): void {
    for (const entry of records.values()) {
      this.order.delete(entry);
      this.used -= entry.size;
    }
    records.clear();
  }

  /** Forgets everything (a rollback: what it undid is not worth tracking row by row). */
  clear(): void {
    for (const entry of this.order) entry.records.clear();
    this.order.clear();
    this.used = 0;
  }

  /** Clears and keeps nothing from now on (the store is closing). */
  stop(): void {
    this.clear();
    this.limit = 0;
  }

  private remove(entry: CachedRecord): void {
    entry.records.delete(entry.key);
    this.order.delete(entry);
    this.used -= entry.size;
  }
}
