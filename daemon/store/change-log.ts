import type { Database, Statement } from 'better-sqlite3';
import type { RecordKey } from '../../src/protocol/store-types.js';
import type { TableCatalog } from './table-catalog.js';
import { sqlString, tableSqlName } from './table-sql.js';

/** What each log entry records (a row's entry is a put or, for a tombstone, a delete). */
export const OP_PUT = 0;
export const OP_DELETE = 1;
export const OP_CREATE = 2;
export const OP_DROP = 3;

export interface LogEntry {
  seq: number;
  tbl: string;
  k: RecordKey;
  hlc: number;
  /** The node that made the change (its origin, kept when it is relayed). */
  node: string;
  op: number;
  /** The peer it was received from; null for a change made here. */
  src: string | null;
}

/**
 * SQLite's default SQLITE_MAX_COMPOUND_SELECT is 500 terms: the log of more
 * tables than this is read in several queries, merged here.
 */
const TABLES_PER_QUERY = 400;

/**
 * The change log: every committed change, in commit order, which is what the
 * mesh replicates from. A row change is the row itself: each row carries the seq
 * of its last change and the peer it came from, under an index on seq, so a put
 * writes one row instead of a row and a log entry (a log entry was half the cost
 * of a put). A key written again moves to a new seq, which is what compacting
 * superseded entries used to do. Table creations and drops, which have no row,
 * are entries of `_changes`.
 *
 * Seqs come from one counter shared by both, so they are never reused: peers
 * keep checkpoints by seq. The counter starts past the highest seq of any row or
 * entry and past `_meta.log_head`, which is saved whenever the newest changes may
 * be removed (collection). Entries are written in the writer's transaction;
 * readers read only after a commit, so a seq that was sent is never rolled back.
 */
export class ChangeLog {
  /** Appends a creation or a drop entry with its seq (see next()). */
  private readonly appendEntry: Statement<[number, string, unknown, number, string, number, string | null]>;
  /** Removes a creation or drop entry that is no longer current. */
  readonly remove: Statement<[number]>;
  private readonly saveHead: Statement<[number]>;
  private readonly savedHead: Statement<[], number | undefined>;
  private readonly entryHead: Statement<[], number | null>;
  private head = 0;
  /**
   * The head as of the last commit: every entry up to it is in the database file. Entries past it
   * are in the open transaction (a journaled put's, kept there for up to commit_interval_ms), which
   * a rollback can still take back, so they are not yet sent (see committedAfter).
   */
  private committed = 0;
  /** The queries that read the log after a seq, made again whenever tables come or go. */
  private readers: Statement<[{ after: number; limit: number }], LogEntry>[] = [];
  private readersFor = '';

  constructor(
    private readonly db: Database,
    private readonly catalog: TableCatalog,
  ) {
    this.appendEntry = db.prepare(
      'INSERT INTO _changes (seq, tbl, k, hlc, node, op, src) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.remove = db.prepare('DELETE FROM _changes WHERE seq = ?');
    this.saveHead = db.prepare("INSERT OR REPLACE INTO _meta (name, value) VALUES ('log_head', ?)");
    this.savedHead = db.prepare<[], number | undefined>("SELECT value FROM _meta WHERE name = 'log_head'").pluck();
    this.entryHead = db.prepare<[], number | null>("SELECT seq FROM sqlite_sequence WHERE name = '_changes'").pluck();
    this.reload();
    this.committed = this.head;
  }

  /** The seq of the next change; the caller writes it in the current transaction. */
  next(): number {
    return ++this.head;
  }

  /** Appends a table creation or drop (`k` is '' or the dropped incarnation). */
  appendSchema(table: string, k: string, hlc: number, node: string, op: number, src: string | null): void {
    this.appendEntry.run(this.next(), table, k, hlc, node, op, src);
  }

  /** Keeps the head from going back when the newest changes are removed; inside the removing transaction. */
  keepHead(): void {
    this.saveHead.run(this.head);
  }

  /** Starts the counter again from what is committed (after a rollback dropped the seqs it handed out). */
  reload(): void {
    let head = Math.max(this.entryHead.get() ?? 0, this.savedHead.get() ?? 0);
    for (const handle of this.catalog.handles()) head = Math.max(head, handle.lastSeq.get() ?? 0);
    this.head = head;
    this.committed = Math.min(this.committed, head);
  }

  /** A commit: every entry handed out so far is in the database file. */
  markCommitted(): void {
    this.committed = this.head;
  }

  /** The newest seq in the database file (see `committed`). */
  committedSeq(): number {
    return this.committed;
  }

  /** The highest clock among the newest changes: where the clock resumes after a restart. */
  recentHlc(): number {
    const recent = (from: string) =>
      (this.db.prepare(`SELECT max(hlc) FROM (SELECT hlc FROM ${from} ORDER BY seq DESC LIMIT 1000)`).pluck().get() as
        number | null) ?? 0;
    let hlc = recent('_changes');
    for (const table of this.catalog.list()) hlc = Math.max(hlc, recent(tableSqlName(table.name)));
    return hlc;
  }

  /** Up to `limit` entries after `seq`, rows and schema entries merged in seq order. */
  entriesAfter(seq: number, limit: number): LogEntry[] {
    const readers = this.currentReaders();
    const range = { after: seq, limit };
    if (readers.length === 1) return readers[0]!.all(range);
    const merged = readers.flatMap((reader) => reader.all(range));
    merged.sort((a, b) => a.seq - b.seq);
    return merged.slice(0, limit);
  }

  /** The newest seq handed out, committed or not. */
  headSeq(): number {
    return this.head;
  }

  /**
   * Up to `limit` entries after `seq` and no further than the last commit, read without committing: the
   * entries of the open transaction wait for its commit (see `committed`).
   */
  committedAfter(seq: number, limit: number): LogEntry[] {
    const last = this.committed;
    if (seq >= last) return [];
    const entries = this.entriesAfter(seq, limit);
    let count = entries.length;
    while (count > 0 && entries[count - 1]!.seq > last) count--;
    entries.length = count;
    return entries;
  }

  /** The clock of the first entry after `seq`, if any: how old the oldest unsent change is. */
  firstHlcAfter(seq: number): number | undefined {
    return this.entriesAfter(seq, 1)[0]?.hlc;
  }

  private currentReaders(): Statement<[{ after: number; limit: number }], LogEntry>[] {
    const names = this.catalog.list().map((table) => table.name);
    const key = names.join('\n');
    if (this.readers.length > 0 && key === this.readersFor) return this.readers;
    const terms = names.map(
      (name) =>
        `SELECT seq, ${sqlString(name)} AS tbl, k, hlc, node, del AS op, src FROM ${tableSqlName(name)} WHERE seq > @after`,
    );
    const queries: string[][] = [['SELECT seq, tbl, k, hlc, node, op, src FROM _changes WHERE seq > @after']];
    for (let first = 0; first < terms.length; first += TABLES_PER_QUERY) {
      const chunk = terms.slice(first, first + TABLES_PER_QUERY);
      if (first === 0) queries[0]!.push(...chunk);
      else queries.push(chunk);
    }
    this.readers = queries.map((query) =>
      this.db.prepare<[{ after: number; limit: number }], LogEntry>(
        `${query.join(' UNION ALL ')} ORDER BY seq LIMIT @limit`,
      ),
    );
    this.readersFor = key;
    return this.readers;
  }
}
