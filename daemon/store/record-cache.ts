import type { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { RecordKey } from '../../src/protocol/store-types.js';

/** The cache's bound unless the daemon's config (`record_cache_mb`) says otherwise. */
export const DEFAULT_RECORD_CACHE_MB = 32;

/**
 * What a cached record is counted as besides its bytes: the Buffer and its ArrayBuffer, the
 * RawMsgpack, the entry and its slot in the table's Map, with a short key (the key string itself is
 * counted apart, by keyBytes; measured at ~375 bytes on Node 20 for 13-character keys). Without it, a table of tiny
 * records could hold millions of entries under a limit meant in megabytes.
 */
export const ENTRY_OVERHEAD_BYTES = 384;

/** One cached record, kept in the cache's order of arrival as well as in its table's map. */
export interface CachedRecord {
  records: TableRecords;
  key: RecordKey;
  record: RawMsgpack;
  size: number;
  /** The next younger entry, toward the newest; undefined for the newest. */
  younger: CachedRecord | undefined;
  /** The next older entry, toward the next to go; undefined for the oldest. */
  older: CachedRecord | undefined;
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
 * bytes (each record's size, its key's and ENTRY_OVERHEAD_BYTES): past it the oldest entries go, first
 * in, first out, so a hit reorders nothing. Every write of a row forgets it in the same turn
 * (see the forget calls at the store's write sites), so a cached record is always what
 * SQLite holds; a rollback clears everything.
 */
export class RecordCache {
  /**
   * The entries in order of arrival, a list linked through the entries themselves. A Set kept
   * in that order was slow to evict from: V8 leaves a deleted entry's slot as a hole until it
   * rebuilds the table, and each eviction's fresh iterator walked every hole at the front, so
   * a full cache made each miss ~10× dearer (h13-review2).
   */
  private oldest: CachedRecord | undefined;
  private newest: CachedRecord | undefined;
  private count = 0;
  private used = 0;

  constructor(private limit: number) {}

  /** Bytes held, overhead included: never above the limit. */
  get bytes(): number {
    return this.used;
  }

  get entries(): number {
    return this.count;
  }

  /** The record cached for `key`, if any. */
  find(records: TableRecords, key: RecordKey): RawMsgpack | undefined {
    return records.get(key)?.record;
  }

  /** Keeps a record just read from SQLite (the caller read it after every earlier write). */
  add(records: TableRecords, key: RecordKey, record: RawMsgpack): void {
    const size = record.bytes.length + keyBytes(key) + ENTRY_OVERHEAD_BYTES;
    if (size > this.limit) return;
    const old = records.get(key);
    if (old !== undefined) this.remove(old);
    const entry: CachedRecord = { records, key, record, size, younger: undefined, older: this.newest };
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.younger = entry;
    this.newest = entry;
    records.set(key, entry);
    this.count++;
    this.used += size;
    while (this.used > this.limit) this.remove(this.oldest!);
  }

  /** A row was written, deleted or removed: its cached bytes go. Costs one size check while the table has none. */
  forget(records: TableRecords, key: RecordKey): void {
    if (records.size === 0) return;
    const entry = records.get(key);
    if (entry !== undefined) this.remove(entry);
  }

  /** The table was dropped: its records go, and their bytes leave the count. */
  forgetTable(records: TableRecords): void {
    for (const entry of records.values()) this.unlink(entry);
    records.clear();
  }

  /** Forgets everything (a rollback: what it undid is not worth tracking row by row). */
  clear(): void {
    for (let entry = this.oldest; entry !== undefined; entry = entry.younger) entry.records.clear();
    this.oldest = this.newest = undefined;
    this.count = 0;
    this.used = 0;
  }

  /** Clears and keeps nothing from now on (the store is closing, or lost what it acknowledged). */
  stop(): void {
    this.clear();
    this.limit = 0;
  }

  private remove(entry: CachedRecord): void {
    entry.records.delete(entry.key);
    this.unlink(entry);
  }

  /** Takes the entry out of the order and the count; its table's map is the caller's. */
  private unlink(entry: CachedRecord): void {
    if (entry.older === undefined) this.oldest = entry.younger;
    else entry.older.younger = entry.younger;
    if (entry.younger === undefined) this.newest = entry.older;
    else entry.younger.older = entry.older;
    this.count--;
    this.used -= entry.size;
  }
}

/**
 * What a key costs beyond ENTRY_OVERHEAD_BYTES: the table's map keeps the request's key string,
 * which may be as long as a message. Two bytes a UTF-16 unit bounds it whatever V8's layout.
 */
function keyBytes(key: RecordKey): number {
  return typeof key === 'string' ? 2 * key.length : 0;
}
