import { Buffer } from 'node:buffer';
import type { Database, Statement } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import { OK } from '../../src/protocol/messages.js';
import type { ResultOf } from '../../src/protocol/methods.js';
import { decode, decodeEncodedMap, encodedFieldValues, rawBytesOf } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { EncodedMap, RawMsgpack } from '../../src/protocol/msgpack-types.js';
import {
  isRecordKey,
  type RecordKey,
  type ReplicationPolicy,
  type StoredRecord,
  type TableInfo,
} from '../../src/protocol/store-types.js';
import type { TableChange } from '../../src/protocol/notifications.js';
import { ChangeLog, OP_CREATE, OP_DROP } from './change-log.js';
import { HybridClock } from './hlc.js';
import { incarnationOf, Incarnations, type Rewind } from './incarnations.js';
import { buildMatchQuery, parsePattern, recordMatches } from './match-query.js';
import { type AppliedWrite, Merger, type RemoteWrite } from './merge.js';
import { Replica } from './replica.js';
import { DEFAULT_RECORD_CACHE_MB, RecordCache } from './record-cache.js';
import { PutBuffer } from './put-buffer.js';
import { refuseOversizedRow, ROWS_FIT_BELOW } from './row-size.js';
import { isDiskFull } from './sqlite-errors.js';
import { isPlainMap } from '../../src/protocol/validate.js';
import type { JournalGroup } from './journal-frames.js';
import type { PutJournal, StoreJournal } from './put-journal.js';
import { JournaledPuts } from './journaled-puts.js';
import { policyNodes } from './replication-policy.js';
import { TableCatalog, type TableHandle } from './table-catalog.js';
import { indexValue } from './table-sql.js';
import type { Version } from './version.js';
import { type WriteApart, WriteBatcher, type Writer } from './write-batcher.js';

/** A page of records stops growing past this many bytes (at least one record is always sent). */
const MAX_RESULT_BYTES = 8 * 1024 * 1024;

/** What a put resolves with once committed. */
export type PutDone = ResultOf<'put'>;

/**
 * One answer for every put, frozen since it is shared: a put's promise resolves with it, so the
 * handler answers with the store's promise as it is, without a reaction of its own to make one.
 * The protocol's OK, which a response writes as bytes made once.
 */
export const PUT_DONE: PutDone = OK;

/** A change as subscribers see it; the record is sent as the stored bytes. */
export type CommittedChange = TableChange<RawMsgpack>;

/** A record ready to write. */
interface Row {
  key: RecordKey;
  bytes: Uint8Array;
  /** One per indexed attribute, in the table's order. */
  indexValues: unknown[];
  /** Its clock and change-log seq, given when it is written (stamp). */
  hlc: number;
  seq: number;
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

/**
 * The table store: definitions, records, the change log and the clock that
 * versions every write. Writes go through group commit and resolve once
 * durable; reads see only committed data.
 */
export class Store {
  readonly catalog: TableCatalog;
  readonly clock: HybridClock;
  /** What the mesh reads and writes through: the store keeps every row change in the change log. */
  readonly replica: Replica;
  /** Records read before, answered without SQLite (see RecordCache); every write here forgets its row. */
  readonly cache: RecordCache;
  private readonly changeLog: ChangeLog;
  private readonly merger: Merger;
  private readonly batcher: WriteBatcher;
  /** This node's puts of the current group commit, written together at its end. */
  private readonly puts: PutBuffer;
  private readonly incarnations: Incarnations;
  private readonly changeListeners = new Set<(change: CommittedChange) => void>();
  private readonly matchStatements = new Map<string, Statement>();
  /** By table: the attributes a put reads of a record left encoded, its key then its indexed attributes. */
  private readonly storedFields = new WeakMap<TableHandle, readonly string[]>();
  private readonly logListeners = new Set<() => void>();
  private readonly saveClock: Statement<[number]>;
  /** The log's committed head when its listeners were last told it grew. */
  private announcedHead: number;
  private readonly journalFile: PutJournal | undefined;
  /** What the start wrote again from the put journal: puts newer than the database, and bytes of a cut last frame. */
  readonly replayed: { puts: number; ignoredBytes: number };

  constructor(
    private readonly db: Database,
    readonly node: string,
    /** The wall clock, in ms; tests offset it to play a node whose clock is wrong. */
    readonly now: () => number = Date.now,
    /** How far ahead of this node's clock a remote timestamp may be (see HybridClock.observe). */
    maxDriftMs = 60_000,
    journal?: StoreJournal,
    /** The record cache's bound; 0: no cache. */
    recordCacheBytes = DEFAULT_RECORD_CACHE_MB * 1024 * 1024,
  ) {
    this.cache = new RecordCache(recordCacheBytes);
    this.catalog = new TableCatalog(db, this.cache);
    this.changeLog = new ChangeLog(db, this.catalog);
    this.puts = new PutBuffer(db, node, journal?.file);
    // Before the clock starts from the log: journaled puts carry clocks of their own.
    this.journalFile = journal?.file;
    this.replayed = journal === undefined ? { puts: 0, ignoredBytes: 0 } : this.replayJournal(journal);
    this.changeLog.markCommitted();
    this.announcedHead = this.changeLog.committedSeq();
    const last = this.changeLog.recentHlc();
    // Remote versions may be newer than the recent log entries: the highest one observed is saved too.
    const observed = db.prepare("SELECT value FROM _meta WHERE name = 'hlc_high'").pluck().get() as number | undefined;
    this.clock = new HybridClock(now, Math.max(last ?? 0, observed ?? 0), maxDriftMs);
    this.merger = new Merger(db, this.catalog, this.changeLog, this.clock, node, this.cache);
    this.batcher = new WriteBatcher(
      db,
      {
        committed: () => {
          this.changeLog.markCommitted();
          this.announceLogIfGrown();
        },
        rolledBack: () => this.forgetRolledBack(),
        journalLost: (error) => {
          this.cache.stop();
          this.journalLost?.(error);
        },
      },
      this.puts,
      undefined,
      undefined,
      journal === undefined || journal.intervalMs === 0
        ? undefined
        : new JournaledPuts(journal.file, journal.intervalMs, (groups) => this.rewriteJournaled(groups)),
    );
    this.incarnations = new Incarnations(db);
    this.saveClock = db.prepare("INSERT OR REPLACE INTO _meta (name, value) VALUES ('hlc_high', ?)");
    this.replica = new Replica({
      db,
      node,
      now,
      catalog: this.catalog,
      cache: this.cache,
      changeLog: this.changeLog,
      clock: this.clock,
      merger: this.merger,
      batcher: this.batcher,
      incarnations: this.incarnations,
      exclusive: (work) => this.exclusive(work),
      saveClock: () => this.saveClock.run(this.clock.current),
      announceLog: () => this.announceLog(),
      announceWrites: (writes) => this.announceWrites(writes),
    });
  }

  /** Told when journaled puts could not be run again after a failed commit: the store refuses all work (see WriteBatcher). */
  journalLost: ((error: unknown) => void) | undefined;

  /**
   * At the start: writes again, and commits, every journaled put newer than what the
   * database holds (a crash came before its commit), then empties the file. Older ones
   * were committed, and a later write may have replaced them since.
   */
  private replayJournal({ file, contents }: StoreJournal): { puts: number; ignoredBytes: number } {
    if (contents.damagedAt !== undefined) {
      throw new CortexError(
        'EINVAL',
        `The put journal ${file.path} is damaged at byte ${contents.damagedAt} (a whole frame fails its checksum, which no crash leaves); move the file aside to start without the puts from there on.`,
      );
    }
    let puts = 0;
    if (contents.groups.length > 0) {
      try {
        this.db.transaction(() => (puts = this.rewriteJournaled(contents.groups)))();
      } catch (error) {
        this.puts.discard();
        this.changeLog.reload();
        if (isDiskFull(error)) {
          throw new CortexError(
            'ENOSPC',
            `The disk is full: the acknowledged puts in the put journal ${file.path} do not fit in the database; free some space and start again (keep the file: it is their only copy).`,
          );
        }
        const reason = error instanceof Error ? error.message : String(error);
        throw new CortexError(
          'EINVAL',
          `The put journal ${file.path} holds puts this database cannot take (${reason}); move the file aside to start without them.`,
        );
      }
    }
    file.empty();
    return { puts, ignoredBytes: contents.ignoredBytes };
  }

  /** Runs journaled puts newer than the log's head again, in the current transaction; returns how many. */
  private rewriteJournaled(groups: JournalGroup[]): number {
    const head = this.changeLog.headSeq();
    let rewritten = 0;
    for (const { table, puts } of groups) {
      // Puts the database has (or replaced since) are passed over before their table is looked up.
      const newer = puts.filter(({ seq }) => seq > head);
      if (newer.length === 0) continue;
      const handle = this.catalog.handle(table);
      for (const { bytes, hlc, seq } of newer) {
        let record: unknown;
        try {
          record = decode(bytes);
        } catch {
          record = undefined;
        }
        if (!isPlainMap(record)) throw new CortexError('EINVAL', `a journaled record of ${table} is not a map`);
        this.puts.add(handle, this.keyOf(handle, record), bytes, hlc, seq, this.indexValuesOf(handle, record));
        rewritten++;
      }
    }
    this.puts.flush();
    this.changeLog.reload();
    return rewritten;
  }

  /** Creates a table: a new incarnation, named by this node and the clock of its creation. */
  createTable(request: NewTable): TableInfo {
    const definition = checkDefinition(request, this.node, this.now());
    let info: TableInfo | undefined;
    this.exclusive(() => (info = this.insertTable(definition)));
    this.announceLog();
    return info!;
  }

  private insertTable(definition: Omit<TableInfo, 'incarnation'>): TableInfo {
    const hlc = this.clock.tick();
    const info = { ...definition, incarnation: incarnationOf({ hlc, node: this.node }) };
    this.catalog.create(info, hlc, this.node);
    this.changeLog.appendSchema(info.name, '', hlc, this.node, OP_CREATE, null);
    return info;
  }

  /**
   * Runs a restore (see import-staging.ts) in one transaction of its own: the tables
   * it creates and the records it writes commit together, or none does. Records
   * with a version merge by last-writer-wins, as putVersioned; others are new writes.
   */
  restore(work: (writer: RestoreWriter) => void): void {
    // Subscribers are told after the commit; with none, nothing is kept for them.
    const applied: AppliedWrite[] | undefined = this.changeListeners.size > 0 ? [] : undefined;
    this.exclusive(() => {
      work({
        createTable: (request) => void this.insertTable(checkDefinition(request, this.node, this.now())),
        put: (table, record) => {
          const handle = this.catalog.handle(table);
          const row = this.stamp(this.rowFor(handle, record));
          this.cache.forget(handle.records, row.key);
          handle.put.run(row.key, row.bytes, row.hlc, this.node, row.seq, null, ...row.indexValues);
          const { key, bytes, hlc } = row;
          applied?.push({ write: { seq: 0, table, key, hlc, node: this.node, op: 'put', value: bytes }, seq: row.seq });
        },
        merge: (table, key, bytes, version) => {
          const write: RemoteWrite = { seq: 0, table, key, ...version, op: 'put', value: bytes };
          if (this.merger.merge(write, null) !== 'applied') return false;
          applied?.push({ write, seq: this.merger.lastLogged });
          return true;
        },
      });
      this.saveClock.run(this.clock.current);
    });
    if (applied !== undefined && applied.length > 0) this.announceWrites(applied);
    else this.announceLog();
  }

  /**
   * Drops a table; `by` is who asked. A replicated table's drop travels like a write,
   * naming its incarnation, so it drops that table and no other of the same name.
   * Clashes with other tables of the name end: they are wanted now.
   */
  dropTable(name: string, by: string): TableInfo {
    const { info } = this.catalog.handle(name);
    const rewinds: Rewind[] = [];
    this.exclusive(() => {
      const hlc = this.clock.tick();
      this.catalog.drop(name);
      this.merger.forgetTable(name);
      if (info.replicate !== 'local') {
        this.incarnations.recordDrop({
          table: name,
          incarnation: info.incarnation,
          hlc,
          node: this.node,
          replicate: info.replicate,
          by,
        });
      }
      this.changeLog.appendSchema(name, info.incarnation, hlc, this.node, OP_DROP, null);
      rewinds.push(...this.incarnations.resolve(name));
    });
    this.announceLog();
    this.replica.announceRewinds(rewinds);
    return info;
  }

  /**
   * Writes at the end of the group commit, with the batch's other puts (see PutBuffer);
   * resolves with PUT_DONE, the put's answer, once committed. A record left encoded (a
   * request's, see EncodedMap) is read for its key and indexed attributes only, and its
   * bytes are what is written.
   */
  put(table: string, record: StoredRecord | EncodedMap): Promise<PutDone> {
    const row = this.keepPut(table, record);
    const done = this.batcher.writeDeferred(PUT_DONE);
    if (this.changeListeners.size === 0) return done;
    return done.then(() => {
      this.announcePuts(table, [row]);
      return PUT_DONE;
    });
  }

  /**
   * As put, but answers `writer` with PUT_DONE instead of resolving a promise: a request's answer
   * (see CallContext.answer) then needs no promise and no reaction of its own.
   */
  putTo(writer: Writer, table: string, record: StoredRecord | EncodedMap): void {
    if (this.changeListeners.size > 0) {
      this.put(table, record).then(
        (done) => writer.resolve(done),
        (error: unknown) => writer.reject(error),
      );
      return;
    }
    this.keepPut(table, record);
    this.batcher.writeDeferredTo(writer, PUT_DONE);
  }

  /** Checks a put's record and keeps its row for the end of the group commit. */
  private keepPut(table: string, record: StoredRecord | EncodedMap): Row {
    const handle = this.catalog.handle(table);
    return this.keepBack(
      handle,
      record instanceof EncodedMap ? this.rowForEncoded(handle, record) : this.rowFor(handle, record),
    );
  }

  /** One writer for all the records: every one of them is checked before any is kept. */
  putMany(table: string, records: StoredRecord[]): Promise<void> {
    const handle = this.catalog.handle(table);
    const rows = records.map((record, index) => this.rowFor(handle, record, `records[${index}]`));
    for (const row of rows) this.keepBack(handle, row);
    const done = this.batcher.writeDeferred(undefined);
    return this.changeListeners.size > 0 ? done.then(() => this.announcePuts(table, rows)) : done;
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
    const applied: AppliedWrite[] = [];
    await this.batcher.write(() => {
      for (const write of writes) {
        if (this.merger.merge(write, null) === 'applied') applied.push({ write, seq: this.merger.lastLogged });
      }
      this.saveClock.run(this.clock.current);
    });
    this.announceWrites(applied);
    return applied.length;
  }

  /** Resolves true when a live record was deleted (it leaves a tombstone for the mesh). */
  async delete(table: string, key: RecordKey): Promise<boolean> {
    const handle = this.catalog.handle(table);
    let hlc = 0;
    let seq = 0;
    const deleted = await this.batcher.write(() => {
      hlc = this.clock.tick();
      const next = this.changeLog.next();
      this.cache.forget(handle.records, key);
      if (handle.tombstone.run(hlc, this.node, next, key).changes === 0) return false;
      seq = next;
      return true;
    });
    if (deleted) this.announce({ table, key, op: 'delete', record: null, hlc, node: this.node, seq });
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

  /** Runs bookkeeping (checkpoints, collection) in the current group commit; resolves once committed. */
  transact<T>(work: () => T): Promise<T> {
    return this.batcher.write(work);
  }

  /** See WriteBatcher.commitWhenQuiet: the mesh asks for it while peers are linked. */
  commitWhenQuiet(ms: number): void {
    this.batcher.commitWhenQuiet(ms);
  }

  /** As transact, for bookkeeping that may wait for the next commit rather than force one (see WriteBatcher.writeLater). */
  transactLater<T>(work: () => T): Promise<T> {
    return this.batcher.writeLater(work);
  }

  /** Puts are announced to change listeners only: the log's listeners heard of their commit (announceLogIfGrown). */
  private announcePuts(table: string, rows: Row[]): void {
    for (const row of rows) {
      this.announce({
        table,
        key: row.key,
        op: 'put',
        record: new RawMsgpack(row.bytes),
        hlc: row.hlc,
        node: this.node,
        seq: row.seq,
      });
    }
  }

  private announceWrites(writes: AppliedWrite[]): void {
    if (writes.length === 0) return;
    if (this.changeListeners.size > 0) {
      for (const { write, seq } of writes) {
        this.announce({
          table: write.table,
          key: write.key,
          op: write.op,
          record: write.value === null ? null : new RawMsgpack(write.value),
          hlc: write.hlc,
          node: write.node,
          seq,
        });
      }
    }
    this.announceLog();
  }

  private announceLog(): void {
    this.announcedHead = this.changeLog.committedSeq();
    for (const listener of this.logListeners) listener();
  }

  /**
   * After each group commit: the log's listeners (the mesh, always there) hear once
   * per commit that the log grew, not once per write, so a put with nobody
   * subscribed pays no promise or call of its own for them.
   */
  private announceLogIfGrown(): void {
    if (this.changeLog.committedSeq() !== this.announcedHead) this.announceLog();
  }

  private announce(change: CommittedChange): void {
    for (const listener of this.changeListeners) listener(change);
  }

  /**
   * The stored record's bytes, sent on without decoding. A cached record needs no read
   * transaction: it is what SQLite holds, since every write of its row forgot it, and no
   * write waiting for the commit is of its row for the same reason.
   */
  get(table: string, key: RecordKey): RawMsgpack | null {
    const handle = this.catalog.handle(table);
    const cached = this.cache.find(handle.records, key);
    if (cached !== undefined) return cached;
    this.batcher.read();
    const bytes = handle.get.get(key);
    if (bytes === undefined) return null;
    const record = new RawMsgpack(bytes);
    this.cache.add(handle.records, key, record);
    return record;
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
    ) as PageRow[];
    const page = pageOf(rows, limit);
    return withVersions ? { ...page, versions: rows.map((row): [number, string] => [row.hlc!, row.node!]) } : page;
  }

  /** One page from the end, last key first; the cursor names the smallest key returned, null on the first page. */
  pageBackward(table: string, limit: number, cursor?: string): { records: RawMsgpack[]; cursor: string | null } {
    const handle = this.catalog.handle(table);
    this.batcher.read();
    const rows =
      cursor === undefined ? handle.pageDesc.all(limit + 1) : handle.pageBefore.all(decodeCursor(cursor), limit + 1);
    return pageOf(rows, limit);
  }

  /** How many live records a table holds: a scan of the table, for a display rather than every call. */
  count(table: string): number {
    const handle = this.catalog.handle(table);
    this.batcher.read();
    return handle.count.get() ?? 0;
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

  /** For the modules that write the database themselves (tokens, grants, identity mappings): see WriteApart. */
  readonly writeApart: WriteApart = (work) => {
    this.batcher.settle();
    return work();
  };

  /** Commits pending writes (before shutting down, and before reads that must see them). */
  flush(): void {
    this.batcher.commit();
  }

  /** Commits pending writes and closes the put journal, before the database is closed. */
  close(): void {
    this.cache.stop();
    try {
      this.batcher.commitOrThrow();
    } finally {
      this.batcher.close();
      this.journalFile?.close();
    }
  }

  /** Call before reading the daemon's own system tables: commits pending writes, then shares a read transaction. */
  beforeRead(): void {
    this.batcher.read();
  }

  private rowFor(handle: TableHandle, record: StoredRecord, where = 'record'): Row {
    const key = this.keyOf(handle, record, where);
    // The bytes the record arrived as are written as they are. They live only until this call returns
    // (the connection reads into them again), and the row is written at the commit: so a copy.
    const raw = rawBytesOf(record);
    const bytes = raw === undefined ? encode(record) : copyOf(raw);
    const indexValues = this.indexValuesOf(handle, record);
    if (bytes.length >= ROWS_FIT_BELOW) refuseOversizedRow(handle.info.name, bytes, key, indexValues);
    return { key, bytes, indexValues, hlc: 0, seq: 0 };
  }

  /** The row of a record left encoded: its fields read where they lie, no object made of them. */
  private rowForEncoded(handle: TableHandle, record: EncodedMap): Row {
    const values = encodedFieldValues(record, this.storedFieldsOf(handle));
    if (values === undefined) return this.rowFor(handle, decodeEncodedMap(record) as StoredRecord);
    const key = values[0];
    if (!isRecordKey(key)) throw badKey(handle, 'record');
    const indexValues: unknown[] = [];
    for (let at = 1; at < values.length; at++) indexValues.push(indexValue(values[at]));
    if (record.bytes.length >= ROWS_FIT_BELOW) refuseOversizedRow(handle.info.name, record.bytes, key, indexValues);
    // The bytes are the connection's read buffer, read into again after this call: so a copy (see rowFor).
    return { key, bytes: copyOf(record.bytes), indexValues, hlc: 0, seq: 0 };
  }

  private storedFieldsOf(handle: TableHandle): readonly string[] {
    let fields = this.storedFields.get(handle);
    if (fields === undefined) {
      fields = [handle.info.attributes[0]!, ...handle.info.indexes];
      this.storedFields.set(handle, fields);
    }
    return fields;
  }

  private keyOf(handle: TableHandle, record: StoredRecord, where = 'record'): RecordKey {
    const keyName = handle.info.attributes[0]!;
    const key = Object.hasOwn(record, keyName) ? record[keyName] : undefined;
    if (!isRecordKey(key)) throw badKey(handle, where);
    return key;
  }

  private indexValuesOf(handle: TableHandle, record: StoredRecord): unknown[] {
    const indexValues: unknown[] = [];
    for (const attribute of handle.info.indexes) {
      indexValues.push(indexValue(Object.hasOwn(record, attribute) ? record[attribute] : undefined));
    }
    return indexValues;
  }

  /** Gives a row the clock and change-log seq of its write, in the order of writes. */
  private stamp(row: Row): Row {
    row.hlc = this.clock.tick();
    row.seq = this.changeLog.next();
    return row;
  }

  /** Stamps a row and keeps it for the end of the group commit. */
  private keepBack(handle: TableHandle, row: Row): Row {
    this.stamp(row);
    this.cache.forget(handle.records, row.key);
    this.puts.add(handle, row.key, row.bytes, row.hlc, row.seq, row.indexValues);
    return row;
  }

  /** Runs a catalog change in a transaction of its own, after committing pending writes. */
  private exclusive(work: () => void): void {
    this.batcher.commitOrThrow();
    try {
      this.db.transaction(work)();
      this.changeLog.markCommitted();
    } catch (error) {
      // The change log's reload reads every table the catalog names: the catalog follows SQLite first.
      this.catalog.reload();
      this.forgetRolledBack();
      throw error;
    }
  }

  /**
   * Memory made to agree with SQLite again after a rollback: each of these changed as the work went (a
   * collection raises horizons and a drop forgets one, a peer's batch notes clashes and a drop records
   * itself, a write caches its row and takes a seq). A group commit's and a catalog change's alike.
   */
  private forgetRolledBack(): void {
    this.cache.clear();
    this.changeLog.reload();
    this.merger.reload();
    this.incarnations.reload();
  }
}

/**
 * A copy of a record's bytes, from Buffer's pool. Not Buffer.from, which looks at what it was given
 * first, nor the global Buffer, which is a look-up per use: ~300 instructions a put fewer, counted alone.
 */
function copyOf(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafe(bytes.length);
  copy.set(bytes);
  return copy;
}

/** The error for a record whose key is missing or neither a string nor an integer. */
function badKey(handle: TableHandle, where: string): CortexError {
  const keyName = handle.info.attributes[0]!;
  return new CortexError(
    'EINVAL',
    `${where}.${keyName}, the key of ${handle.info.name}, must be a string or an integer.`,
  );
}

/** A new table's definition, checked: policy, attributes, indexes. */
export function checkDefinition(request: NewTable, node: string, now: number): Omit<TableInfo, 'incarnation'> {
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

interface PageRow {
  k: unknown;
  v: Buffer;
  hlc?: number;
  node?: string;
}

/** At most `limit` rows and MAX_RESULT_BYTES (one row at least), cut in place, and the cursor after the last. */
function pageOf(rows: PageRow[], limit: number): { records: RawMsgpack[]; cursor: string | null } {
  let more = rows.length > limit;
  if (more) rows.pop();
  let size = 0;
  const overflow = rows.findIndex((row, index) => (size += row.v.length) > MAX_RESULT_BYTES && index > 0);
  if (overflow !== -1) {
    rows.length = overflow;
    more = true;
  }
  const last = rows[rows.length - 1];
  return { records: rows.map((row) => new RawMsgpack(row.v)), cursor: more && last ? encodeCursor(last.k) : null };
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
