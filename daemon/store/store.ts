import type { Database, Statement } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import { decode, rawBytesOf } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import {
  isRecordKey,
  type RecordKey,
  type ReplicationPolicy,
  type StoredRecord,
  type TableInfo,
} from '../../src/protocol/store-types.js';
import type { TableChange } from '../../src/protocol/notifications.js';
import { HybridClock } from './hlc.js';
import { buildMatchQuery, parsePattern, recordMatches } from './match-query.js';
import { TableCatalog, type TableHandle } from './table-catalog.js';
import { indexValue } from './table-sql.js';
import { WriteBatcher } from './write-batcher.js';

/** A page of records stops growing past this many bytes (at least one record is always sent). */
const MAX_RESULT_BYTES = 8 * 1024 * 1024;

const OP_PUT = 0;
const OP_DELETE = 1;
const OP_CREATE = 2;
const OP_DROP = 3;

/** A change as subscribers see it; the record is sent as the stored bytes. */
export type CommittedChange = Omit<TableChange, 'record'> & { record: RawMsgpack | null };

/** A record ready to write: its key and the statement's values (key, bytes, hlc, node, index values...). */
interface Row {
  key: RecordKey;
  values: unknown[];
}

export interface NewTable {
  name: string;
  attributes: string[];
  indexes?: string[] | undefined;
  replicate?: ReplicationPolicy | undefined;
  owner: string;
}

/**
 * The table store: definitions, records, the change log and the clock that
 * versions every write. Writes go through group commit and resolve once
 * durable; reads see only committed data.
 */
export class Store {
  readonly catalog: TableCatalog;
  readonly clock: HybridClock;
  private readonly batcher: WriteBatcher;
  private readonly logChange: Statement<[string, unknown, number, string, number]>;
  private readonly changeListeners = new Set<(change: CommittedChange) => void>();
  private readonly matchStatements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    readonly node: string,
    now: () => number = Date.now,
  ) {
    this.catalog = new TableCatalog(db);
    const last = db
      .prepare('SELECT max(hlc) FROM (SELECT hlc FROM _changes ORDER BY seq DESC LIMIT 1000)')
      .pluck()
      .get() as number | null;
    this.clock = new HybridClock(now, last ?? 0);
    this.batcher = new WriteBatcher(db);
    this.logChange = db.prepare('INSERT INTO _changes (tbl, k, hlc, node, op) VALUES (?, ?, ?, ?, ?)');
  }

  createTable(request: NewTable): TableInfo {
    const info = checkDefinition(request);
    this.exclusive(() => {
      const hlc = this.clock.tick();
      this.catalog.create(info, hlc, this.node);
      this.logChange.run(info.name, '', hlc, this.node, OP_CREATE);
    });
    return info;
  }

  dropTable(name: string): void {
    this.exclusive(() => {
      this.catalog.drop(name);
      this.logChange.run(name, '', this.clock.tick(), this.node, OP_DROP);
    });
  }

  put(table: string, record: StoredRecord): Promise<void> {
    const handle = this.catalog.handle(table);
    const row = this.rowFor(handle, record);
    const done = this.batcher.write(() => this.writeRow(handle, row));
    return this.changeListeners.size === 0 ? done : done.then(() => this.announcePut(table, row));
  }

  putMany(table: string, records: StoredRecord[]): Promise<void> {
    const handle = this.catalog.handle(table);
    const rows = records.map((record, index) => this.rowFor(handle, record, `records[${index}]`));
    const done = this.batcher.write(() => {
      for (const row of rows) this.writeRow(handle, row);
    });
    return this.changeListeners.size === 0
      ? done
      : done.then(() => rows.forEach((row) => this.announcePut(table, row)));
  }

  /** Resolves true when a live record was deleted (it leaves a tombstone for the mesh). */
  async delete(table: string, key: RecordKey): Promise<boolean> {
    const handle = this.catalog.handle(table);
    let hlc = 0;
    const deleted = await this.batcher.write(() => {
      hlc = this.clock.tick();
      if (handle.tombstone.run(hlc, this.node, key).changes === 0) return false;
      this.logChange.run(table, key, hlc, this.node, OP_DELETE);
      return true;
    });
    if (deleted) this.announce({ table, key, op: 'delete', record: null, hlc, node: this.node });
    return deleted;
  }

  /** Called after each committed change, for subscriptions. */
  onChange(listener: (change: CommittedChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private announcePut(table: string, row: Row): void {
    this.announce({
      table,
      key: row.key,
      op: 'put',
      record: new RawMsgpack(row.values[1] as Buffer),
      hlc: row.values[2] as number,
      node: this.node,
    });
  }

  private announce(change: CommittedChange): void {
    for (const listener of this.changeListeners) listener(change);
  }

  /** The stored record's bytes, sent on without decoding. */
  get(table: string, key: RecordKey): RawMsgpack | null {
    const handle = this.catalog.handle(table);
    this.batcher.read();
    const bytes = handle.get.get(key);
    return bytes === undefined ? null : new RawMsgpack(bytes);
  }

  match(table: string, pattern: Record<string, unknown>, limit: number): { records: RawMsgpack[]; truncated: boolean } {
    const handle = this.catalog.handle(table);
    const conditions = parsePattern(pattern as StoredRecord);
    const query = buildMatchQuery(handle.info, conditions);
    this.batcher.read();
    const records: RawMsgpack[] = [];
    let size = 0;
    for (const bytes of this.statementFor(query.sql).iterate(...query.params) as IterableIterator<Buffer>) {
      if (!recordMatches(decode(bytes) as StoredRecord, conditions)) continue;
      if (records.length === limit || (records.length > 0 && size + bytes.length > MAX_RESULT_BYTES)) {
        return { records, truncated: true };
      }
      records.push(new RawMsgpack(bytes));
      size += bytes.length;
    }
    return { records, truncated: false };
  }

  /** One page in key order; the cursor names the last key, null on the last page. */
  page(table: string, limit: number, cursor?: string): { records: RawMsgpack[]; cursor: string | null } {
    const handle = this.catalog.handle(table);
    this.batcher.read();
    const rows =
      cursor === undefined ? handle.page.all(limit + 1) : handle.pageAfter.all(decodeCursor(cursor), limit + 1);
    let more = rows.length > limit;
    if (more) rows.pop();
    let size = 0;
    const overflow = rows.findIndex((row, index) => (size += row.v.length) > MAX_RESULT_BYTES && index > 0);
    if (overflow !== -1) {
      rows.length = overflow;
      more = true;
    }
    const last = rows[rows.length - 1];
    return {
      records: rows.map((row) => new RawMsgpack(row.v)),
      cursor: more && last ? encodeCursor(last.k) : null,
    };
  }

  /** Match queries differ only in their shape; keep the prepared statements of recent shapes. */
  private statementFor(sql: string): Statement {
    let statement = this.matchStatements.get(sql);
    if (statement === undefined) {
      if (this.matchStatements.size >= 256) this.matchStatements.clear();
      statement = this.db.prepare(sql).pluck();
      this.matchStatements.set(sql, statement);
    }
    return statement;
  }

  /** Commits pending writes (before shutting down, and before reads that must see them). */
  flush(): void {
    this.batcher.commit();
  }

  /** Call before reading the daemon's own system tables: commits pending writes, then shares a read transaction. */
  beforeRead(): void {
    this.batcher.read();
  }

  /** Runs `work` in the current group commit; resolves once it is durable. For the daemon's own system tables. */
  transact<T>(work: () => T): Promise<T> {
    return this.batcher.write(work);
  }

  private rowFor(handle: TableHandle, record: StoredRecord, where = 'record'): Row {
    const keyName = handle.info.attributes[0]!;
    const key = Object.hasOwn(record, keyName) ? record[keyName] : undefined;
    if (!isRecordKey(key)) {
      throw new CortexError(
        'EINVAL',
        `${where}.${keyName}, the key of ${handle.info.name}, must be a string or an integer.`,
      );
    }
    // The bytes the record arrived as are written as they are; they live only until this call returns,
    // so a copy is kept when a subscriber will be told about the record after the commit.
    const raw = rawBytesOf(record);
    const bytes = raw === undefined ? encode(record) : this.changeListeners.size > 0 ? Buffer.from(raw) : raw;
    const values: unknown[] = [key, bytes, 0, this.node];
    for (const attribute of handle.info.indexes) {
      values.push(indexValue(Object.hasOwn(record, attribute) ? record[attribute] : undefined));
    }
    return { key, values };
  }

  private writeRow(handle: TableHandle, row: Row): void {
    const hlc = this.clock.tick();
    row.values[2] = hlc;
    handle.put.run(...row.values);
    this.logChange.run(handle.info.name, row.key, hlc, this.node, OP_PUT);
  }

  /** Runs a catalog change in a transaction of its own, after committing pending writes. */
  private exclusive(work: () => void): void {
    this.batcher.commit();
    this.db.transaction(work)();
  }
}

function checkDefinition(request: NewTable): TableInfo {
  const { name, attributes, owner } = request;
  const indexes = request.indexes ?? [];
  const seen = new Set<string>();
  for (const attribute of attributes) {
    if (seen.has(attribute)) throw new CortexError('EINVAL', `The attribute ${attribute} is listed twice.`);
    seen.add(attribute);
  }
  for (const attribute of indexes) {
    if (!seen.has(attribute)) {
      throw new CortexError(
        'EINVAL',
        `Cannot index ${attribute}: it is not one of the attributes (${attributes.join(', ')}).`,
      );
    }
    if (attribute === attributes[0]) {
      throw new CortexError('EINVAL', `${attribute} is the key and is always indexed; do not list it in indexes.`);
    }
  }
  return {
    name,
    attributes,
    indexes: [...new Set(indexes)],
    replicate: request.replicate ?? 'local',
    owner,
    created: Date.now(),
  };
}

function encodeCursor(key: unknown): string {
  return encode(key).toString('base64url');
}

function decodeCursor(cursor: string): RecordKey {
  let key: unknown;
  try {
    key = decode(Buffer.from(cursor, 'base64url'));
  } catch {
    key = undefined;
  }
  if (!isRecordKey(key)) throw new CortexError('EINVAL', 'The cursor is not one this daemon returned.');
  return key;
}
