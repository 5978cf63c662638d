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
import { ChangeLog, type LogEntry, OP_CREATE, OP_DELETE, OP_DROP, OP_PUT } from './change-log.js';
import { HLC_PER_MS, HybridClock } from './hlc.js';
import { buildMatchQuery, parsePattern, recordMatches } from './match-query.js';
import { isEncodedMap, type MergeObserver, Merger, type RemoteWrite } from './merge.js';
import { policyNodes } from './replication-policy.js';
import { type RowState, TableCatalog, type TableHandle } from './table-catalog.js';
import { indexValue, tableSqlName } from './table-sql.js';
import { compareVersions, type Version } from './version.js';
import { WriteBatcher } from './write-batcher.js';

/** A page of records stops growing past this many bytes (at least one record is always sent). */
const MAX_RESULT_BYTES = 8 * 1024 * 1024;

/** A change as subscribers see it; the record is sent as the stored bytes. */
export type CommittedChange = Omit<TableChange, 'record'> & { record: RawMsgpack | null };

/** A record ready to write: its key and the statement's values (key, bytes, hlc, node, index values...). */
interface Row {
  key: RecordKey;
  values: unknown[];
}

/** What a restore may do inside its transaction (see Store.restore). */
export interface RestoreWriter {
  createTable(request: NewTable): void;
  put(table: string, record: StoredRecord): void;
  /** Resolves whether the record was newer than what the table holds, and written. */
  merge(table: string, key: RecordKey, bytes: Buffer, version: Version): boolean;
}

export interface NewTable {
  name: string;
  attributes: string[];
  indexes?: string[] | undefined;
  replicate?: ReplicationPolicy | undefined;
  owner: string;
}

/** A table definition as it travels between nodes, with the version of its creation. */
export interface TableDefinition extends TableInfo {
  hlc: number;
  node: string;
}

/** A table created or dropped on a peer. */
export interface RemoteSchemaChange {
  seq: number;
  table: string;
  hlc: number;
  node: string;
  op: 'create' | 'drop';
  /** For a drop: the policy the dropped table had, so the drop relays to the same nodes. */
  replicate?: ReplicationPolicy | undefined;
}

/** A batch of a peer's changes, in the order of its change log. */
export interface RemoteBatch {
  /** The peer it comes from. */
  from: string;
  /** The last seq of the peer's log the batch covers (entries not meant for this node are left out). */
  to: number;
  changes: readonly (RemoteWrite | RemoteSchemaChange)[];
  /** Definitions of the tables the changes touch, in case this node does not have them yet. */
  defs: ReadonlyMap<string, TableDefinition>;
  /** Saves how far into the peer's log this node got; runs inside the transaction that applied it. */
  checkpoint(seq: number): void;
  observer?: MergeObserver | undefined;
  /** During a full resync: whether this node is known to have held this version once. */
  hadIt?: ((write: RemoteWrite) => boolean) | undefined;
  /**
   * Tables refused earlier on this link, with why: their later changes are refused
   * too, as a definition travels only with a link's first batch for its table.
   */
  refused?: ReadonlyMap<string, string> | undefined;
}

export interface ApplyResult {
  /** The seq the checkpoint was moved to. */
  checkpoint: number;
  applied: number;
  /** Puts refused as deleted records coming back (see Merger.merge). */
  stale: number;
  /** Tables whose changes were refused, with the reason (policy, a different key). */
  refused: Map<string, string>;
  /** Tables dropped by the batch. */
  dropped: string[];
  /** Set when a change's timestamp was too far ahead: it and what follows wait. */
  deferred?: { seq: number; aheadMs: number };
}

/**
 * The table store: definitions, records, the change log and the clock that
 * versions every write. Writes go through group commit and resolve once
 * durable; reads see only committed data.
 */
export class Store {
  readonly catalog: TableCatalog;
  readonly clock: HybridClock;
  readonly changeLog: ChangeLog;
  private readonly merger: Merger;
  private readonly batcher: WriteBatcher;
  private readonly changeListeners = new Set<(change: CommittedChange) => void>();
  private readonly matchStatements = new Map<string, Statement>();
  private readonly logListeners = new Set<() => void>();
  private readonly dropped = new Map<string, Version & { replicate: ReplicationPolicy }>();
  private readonly saveDropped: Statement<[string, number, string, string]>;
  private readonly saveClock: Statement<[number]>;

  constructor(
    private readonly db: Database,
    readonly node: string,
    /** The wall clock, in ms; tests offset it to play a node whose clock is wrong. */
    readonly now: () => number = Date.now,
    /** How far ahead of this node's clock a remote timestamp may be (see HybridClock.observe). */
    maxDriftMs = 60_000,
  ) {
    this.catalog = new TableCatalog(db);
    this.changeLog = new ChangeLog(db);
    const last = db
      .prepare('SELECT max(hlc) FROM (SELECT hlc FROM _changes ORDER BY seq DESC LIMIT 1000)')
      .pluck()
      .get() as number | null;
    // Remote versions may be newer than the recent log entries: the highest one observed is saved too.
    const observed = db.prepare("SELECT value FROM _meta WHERE name = 'hlc_high'").pluck().get() as number | undefined;
    this.clock = new HybridClock(now, Math.max(last ?? 0, observed ?? 0), maxDriftMs);
    this.merger = new Merger(db, this.catalog, this.changeLog, this.clock, node);
    this.batcher = new WriteBatcher(db);
    this.saveClock = db.prepare("INSERT OR REPLACE INTO _meta (name, value) VALUES ('hlc_high', ?)");
    this.saveDropped = db.prepare('INSERT OR REPLACE INTO _dropped (tbl, hlc, node, replicate) VALUES (?, ?, ?, ?)');
    for (const row of db.prepare('SELECT tbl, hlc, node, replicate FROM _dropped').all() as {
      tbl: string;
      hlc: number;
      node: string;
      replicate: ReplicationPolicy;
    }[]) {
      this.dropped.set(row.tbl, { hlc: row.hlc, node: row.node, replicate: row.replicate });
    }
  }

  createTable(request: NewTable): TableInfo {
    const info = checkDefinition(request, this.node, this.now());
    this.exclusive(() => this.insertTable(info));
    this.announceLog();
    return info;
  }

  private insertTable(info: TableInfo): void {
    const hlc = this.clock.tick();
    this.catalog.create(info, hlc, this.node);
    this.changeLog.append.run(info.name, '', hlc, this.node, OP_CREATE, null);
  }

  /**
   * Runs a restore (see import-staging.ts) in one transaction of its own: the tables
   * it creates and the records it writes commit together, or none does. Records
   * with a version merge by last-writer-wins, as putVersioned; others are new writes.
   */
  restore(work: (writer: RestoreWriter) => void): void {
    const changes: CommittedChange[] | undefined = this.changeListeners.size > 0 ? [] : undefined;
    this.exclusive(() => {
      work({
        createTable: (request) => this.insertTable(checkDefinition(request, this.node, this.now())),
        put: (table, record) => {
          const handle = this.catalog.handle(table);
          const row = this.rowFor(handle, record);
          this.writeRow(handle, row);
          changes?.push(putChange(table, row.key, row.values[1] as Buffer, row.values[2] as number, this.node));
        },
        merge: (table, key, bytes, version) => {
          const write: RemoteWrite = { seq: 0, table, key, ...version, op: 'put', value: bytes };
          if (this.merger.merge(write, null) !== 'applied') return false;
          changes?.push(putChange(table, key, bytes, version.hlc, version.node));
          return true;
        },
      });
      this.saveClock.run(this.clock.current);
    });
    for (const change of changes ?? []) this.announce(change);
    this.announceLog();
  }

  dropTable(name: string): void {
    const { replicate } = this.catalog.handle(name).info;
    this.exclusive(() => {
      const hlc = this.clock.tick();
      this.catalog.drop(name);
      this.merger.forgetTable(name);
      // A replicated table's drop travels like a write, and outranks its older definition
      // wherever that is still on its way.
      if (replicate !== 'local') this.recordDrop(name, { hlc, node: this.node }, replicate);
      this.changeLog.append.run(name, '', hlc, this.node, OP_DROP, null);
    });
    this.announceLog();
  }

  put(table: string, record: StoredRecord): Promise<void> {
    const handle = this.catalog.handle(table);
    const row = this.rowFor(handle, record);
    const done = this.batcher.write(() => this.writeRow(handle, row));
    return this.hasListeners ? done.then(() => this.announcePuts(table, [row])) : done;
  }

  putMany(table: string, records: StoredRecord[]): Promise<void> {
    const handle = this.catalog.handle(table);
    const rows = records.map((record, index) => this.rowFor(handle, record, `records[${index}]`));
    const done = this.batcher.write(() => {
      for (const row of rows) this.writeRow(handle, row);
    });
    return this.hasListeners ? done.then(() => this.announcePuts(table, rows)) : done;
  }

  /**
   * Restores records with the versions they had (a backup): each is merged by
   * last-writer-wins like a replicated write, so a record deleted since the backup
   * was made stays deleted. Resolves with how many were newer and written.
   */
  async putVersioned(table: string, records: StoredRecord[], versions: Version[]): Promise<number> {
    const handle = this.catalog.handle(table);
    const writes: RemoteWrite[] = records.map((record, index) => {
      const row = this.rowFor(handle, record, `records[${index}]`);
      const version = versions[index];
      if (version === undefined) throw new CortexError('EINVAL', `records[${index}] of ${table} has no version.`);
      return { seq: 0, table, key: row.key, hlc: version.hlc, node: version.node, op: 'put', value: encode(record) };
    });
    const applied: RemoteWrite[] = [];
    await this.batcher.write(() => {
      for (const write of writes) if (this.merger.merge(write, null) === 'applied') applied.push(write);
      this.saveClock.run(this.clock.current);
    });
    this.announceWrites(applied);
    return applied.length;
  }

  /** Resolves true when a live record was deleted (it leaves a tombstone for the mesh). */
  async delete(table: string, key: RecordKey): Promise<boolean> {
    const handle = this.catalog.handle(table);
    let hlc = 0;
    const deleted = await this.batcher.write(() => {
      hlc = this.clock.tick();
      if (handle.tombstone.run(hlc, this.node, key).changes === 0) return false;
      this.changeLog.append.run(table, key, hlc, this.node, OP_DELETE, null);
      return true;
    });
    if (deleted) {
      this.announce({ table, key, op: 'delete', record: null, hlc, node: this.node });
      this.announceLog();
    }
    return deleted;
  }

  /** Called after each committed change, local or replicated, for subscriptions. */
  onChange(listener: (change: CommittedChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called after each commit that appended to the change log (the mesh sends from it). */
  onLog(listener: () => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** Log entries after `seq`, committed ones only. */
  changesAfter(seq: number, limit: number): LogEntry[] {
    this.batcher.commit();
    return this.changeLog.entriesAfter(seq, limit);
  }

  /** The newest committed seq of the change log. */
  headSeq(): number {
    this.batcher.commit();
    return this.changeLog.headSeq();
  }

  /** A row's bytes and version, tombstones included; undefined when the table or row is absent. */
  rowState(table: string, key: RecordKey): RowState | undefined {
    return this.catalog.has(table) ? this.catalog.handle(table).row.get(key) : undefined;
  }

  /** The definition of a table as peers receive it. */
  definition(table: string): TableDefinition | undefined {
    if (!this.catalog.has(table)) return undefined;
    const version = this.catalog.versionOf(table)!;
    return { ...this.catalog.handle(table).info, hlc: version.hlc, node: version.node };
  }

  /** The drop of a replicated table, if this node knows of one. */
  dropOf(table: string): (Version & { replicate: ReplicationPolicy }) | undefined {
    return this.dropped.get(table);
  }

  /** Live rows whose clock is at most `hlc`: what a full resync may have to drop. Inside transact. */
  liveRowsUpTo(table: string, hlc: number): { k: RecordKey; hlc: number; node: string }[] {
    return this.db
      .prepare<[number], { k: RecordKey; hlc: number; node: string }>(
        `SELECT k, hlc, node FROM ${tableSqlName(table)} WHERE del = 0 AND hlc <= ?`,
      )
      .all(hlc);
  }

  horizonOf(table: string): Version | undefined {
    return this.merger.horizonOf(table);
  }

  /** Runs bookkeeping (checkpoints, collection) in the current group commit; resolves once committed. */
  transact<T>(work: () => T): Promise<T> {
    return this.batcher.write(work);
  }

  /** Raises a table's tombstone horizon; call inside transact. */
  raiseHorizon(table: string, version: Version): void {
    this.merger.raiseHorizon(table, version);
  }

  /**
   * Applies a batch of a peer's changes: writes merge by last-writer-wins inside
   * group commit; table creations and drops run in a transaction of their own. The
   * checkpoint moves in the same transaction as the changes it covers, so it is
   * never saved ahead of them. A change stamped too far ahead of this node's clock
   * stops the batch there: what came before is applied, the rest waits.
   */
  async applyRemote(batch: RemoteBatch): Promise<ApplyResult> {
    const result: ApplyResult = {
      checkpoint: -1,
      applied: 0,
      stale: 0,
      refused: new Map(batch.refused),
      dropped: [],
    };
    const { changes } = batch;
    let index = 0;
    for (;;) {
      const limit = (this.now() + this.clock.maxDriftMs) * HLC_PER_MS;
      const next = changes[index];
      if (next !== undefined && this.isSchemaStep(next, batch, result)) {
        // A definition stamped too far ahead waits like any change (its clock must not be observed).
        const stamp = Math.max(next.hlc, batch.defs.get(next.table)?.hlc ?? 0);
        if (stamp > limit) {
          result.deferred = { seq: next.seq, aheadMs: Math.ceil(stamp / HLC_PER_MS - this.now()) };
          if (next.seq - 1 > result.checkpoint) {
            const checkpoint = next.seq - 1;
            await this.batcher.write(() => batch.checkpoint(checkpoint));
            result.checkpoint = checkpoint;
          }
          return result;
        }
        // Each step waits for the one before to commit, so a later checkpoint can never
        // land while an earlier part of the batch was rolled back.
        this.exclusive(() => {
          if (next.op === 'drop') this.applyDrop(next, batch.from, result);
          else this.ensureTable(next.table, batch, result);
          if (next.op === 'create' || next.op === 'drop') batch.checkpoint(next.seq);
          this.saveClock.run(this.clock.current);
        });
        if (next.op === 'create' || next.op === 'drop') {
          result.checkpoint = next.seq;
          index++;
        }
        this.announceLog();
        continue;
      }
      const applied: RemoteWrite[] = [];
      let checkpoint = -1;
      await this.batcher.write(() => {
        while (index < changes.length) {
          const write = changes[index]!;
          if (write.hlc > limit) {
            result.deferred = { seq: write.seq, aheadMs: Math.ceil(write.hlc / HLC_PER_MS - this.now()) };
            break;
          }
          if (this.isSchemaStep(write, batch, result)) break;
          this.mergeOne(write as RemoteWrite, batch, result, applied);
          index++;
        }
        if (result.deferred !== undefined) checkpoint = result.deferred.seq - 1;
        else if (index === changes.length) checkpoint = batch.to;
        else if (index > 0) checkpoint = changes[index - 1]!.seq;
        if (checkpoint > result.checkpoint) batch.checkpoint(checkpoint);
        this.saveClock.run(this.clock.current);
      });
      if (checkpoint > result.checkpoint) result.checkpoint = checkpoint;
      this.announceWrites(applied);
      if (index === changes.length || result.deferred !== undefined) return result;
    }
  }

  private isSchemaStep(change: RemoteWrite | RemoteSchemaChange, batch: RemoteBatch, result: ApplyResult): boolean {
    return change.op === 'create' || change.op === 'drop' || this.needsTable(change, batch, result);
  }

  private mergeOne(write: RemoteWrite, batch: RemoteBatch, result: ApplyResult, applied: RemoteWrite[]): void {
    if (result.refused.has(write.table)) return;
    if (!this.catalog.has(write.table)) {
      result.refused.set(write.table, 'no definition of it came with its records');
      return;
    }
    if (write.op === 'put' && (write.value === null || !isEncodedMap(write.value))) {
      result.refused.set(write.table, 'a record was not a MessagePack map');
      return;
    }
    const outcome = this.merger.merge(write, batch.from, batch.observer, batch.hadIt?.(write) ?? false);
    if (outcome === 'applied') {
      result.applied++;
      applied.push(write);
    } else if (outcome === 'stale') result.stale++;
    else if (outcome === 'refused') {
      const { replicate } = this.catalog.handle(write.table).info;
      result.refused.set(write.table, `its policy here (${replicate}) does not include ${this.node}`);
    }
  }

  /** A write for a table this node does not have yet, whose definition came with the batch. */
  private needsTable(change: RemoteWrite | RemoteSchemaChange, batch: RemoteBatch, result: ApplyResult): boolean {
    return !this.catalog.has(change.table) && !result.refused.has(change.table) && batch.defs.has(change.table);
  }

  /** Creates a table from a peer's definition, unless this node must not hold it; inside a transaction. */
  private ensureTable(name: string, batch: RemoteBatch, result: ApplyResult): void {
    const definition = batch.defs.get(name);
    if (this.catalog.has(name)) {
      // The definition went with an earlier batch of this link, or the table was made here too.
      const local = this.catalog.handle(name).info;
      if (definition !== undefined && local.attributes[0] !== definition.attributes[0]) {
        result.refused.set(
          name,
          `it is keyed by ${local.attributes[0]} here and by ${definition.attributes[0]} on ${batch.from}`,
        );
      }
      return;
    }
    if (definition === undefined) {
      result.refused.set(name, 'no definition of it came with its records');
      return;
    }
    if (!this.merger.accepts(definition.replicate)) {
      result.refused.set(name, `its policy (${definition.replicate}) does not include ${this.node}`);
      return;
    }
    const drop = this.dropped.get(name);
    if (drop !== undefined && compareVersions(drop, definition) >= 0) {
      // An incarnation of the table that was dropped since: its records are not wanted.
      result.refused.set(name, 'it was dropped after it was created');
      return;
    }
    this.clock.observe(definition.hlc);
    const { hlc, node, ...info } = definition;
    this.catalog.create(info, hlc, node);
    this.changeLog.append.run(name, '', hlc, node, OP_CREATE, batch.from);
    result.refused.delete(name);
  }

  private applyDrop(change: RemoteSchemaChange, src: string, result: ApplyResult): void {
    const version = { hlc: change.hlc, node: change.node };
    this.clock.observe(change.hlc);
    const known = this.dropped.get(change.table);
    if (known !== undefined && compareVersions(known, version) >= 0) return;
    const local = this.catalog.versionOf(change.table);
    const replicate = change.replicate ?? known?.replicate ?? 'mesh';
    if (local !== undefined) {
      if (compareVersions(local, version) > 0) return; // a newer incarnation: the drop is older than it
      this.catalog.drop(change.table);
      this.merger.forgetTable(change.table);
      result.dropped.push(change.table);
    }
    this.recordDrop(change.table, version, replicate);
    this.changeLog.append.run(change.table, '', change.hlc, change.node, OP_DROP, src);
  }

  private recordDrop(table: string, version: Version, replicate: ReplicationPolicy): void {
    this.saveDropped.run(table, version.hlc, version.node, replicate);
    this.dropped.set(table, { ...version, replicate });
  }

  private get hasListeners(): boolean {
    return this.changeListeners.size > 0 || this.logListeners.size > 0;
  }

  private announcePuts(table: string, rows: Row[]): void {
    if (this.changeListeners.size > 0) {
      for (const row of rows) {
        this.announce({
          table,
          key: row.key,
          op: 'put',
          record: new RawMsgpack(row.values[1] as Buffer),
          hlc: row.values[2] as number,
          node: this.node,
        });
      }
    }
    this.announceLog();
  }

  private announceWrites(writes: RemoteWrite[]): void {
    if (writes.length === 0) return;
    if (this.changeListeners.size > 0) {
      for (const write of writes) {
        this.announce({
          table: write.table,
          key: write.key,
          op: write.op,
          record: write.value === null ? null : new RawMsgpack(write.value),
          hlc: write.hlc,
          node: write.node,
        });
      }
    }
    this.announceLog();
  }

  private announceLog(): void {
    for (const listener of this.logListeners) listener();
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
  page(
    table: string,
    limit: number,
    cursor?: string,
    withVersions = false,
  ): { records: RawMsgpack[]; cursor: string | null; versions?: [number, string][] } {
    const handle = this.catalog.handle(table);
    this.batcher.read();
    const rows = (
      withVersions
        ? cursor === undefined
          ? handle.pageVersions.all(limit + 1)
          : handle.pageVersionsAfter.all(decodeCursor(cursor), limit + 1)
        : cursor === undefined
          ? handle.page.all(limit + 1)
          : handle.pageAfter.all(decodeCursor(cursor), limit + 1)
    ) as { k: unknown; v: Buffer; hlc?: number; node?: string }[];
    let more = rows.length > limit;
    if (more) rows.pop();
    let size = 0;
    const overflow = rows.findIndex((row, index) => (size += row.v.length) > MAX_RESULT_BYTES && index > 0);
    if (overflow !== -1) {
      rows.length = overflow;
      more = true;
    }
    const last = rows[rows.length - 1];
    const page = {
      records: rows.map((row) => new RawMsgpack(row.v)),
      cursor: more && last ? encodeCursor(last.k) : null,
    };
    return withVersions ? { ...page, versions: rows.map((row): [number, string] => [row.hlc!, row.node!]) } : page;
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
    this.changeLog.append.run(handle.info.name, row.key, hlc, this.node, OP_PUT, null);
  }

  /** Runs a catalog change in a transaction of its own, after committing pending writes. */
  private exclusive(work: () => void): void {
    this.batcher.commit();
    this.db.transaction(work)();
  }
}

function putChange(table: string, key: RecordKey, bytes: Buffer, hlc: number, node: string): CommittedChange {
  return { table, key, op: 'put', record: new RawMsgpack(bytes), hlc, node };
}

/** A new table's definition, checked: policy, attributes, indexes. */
export function checkDefinition(request: NewTable, node: string, now: number): TableInfo {
  const { name, attributes, owner } = request;
  const indexes = request.indexes ?? [];
  const replicate = request.replicate ?? 'local';
  const listed = policyNodes(replicate);
  if (listed.length > 0 && !listed.includes(node)) {
    throw new CortexError(
      'EINVAL',
      `${replicate} does not list this node (${node}); a table lives on the nodes its policy names, so add ${node} to it.`,
    );
  }
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
    replicate,
    owner,
    created: now,
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
