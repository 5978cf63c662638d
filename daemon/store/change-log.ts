import type { Database, Statement } from 'better-sqlite3';
import type { RecordKey } from '../../src/protocol/store-types.js';

/** What each `_changes` entry records. */
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
 * The change log: every committed write, in commit order, which is what the mesh
 * replicates from. Entries are appended in the writer's transaction; readers read
 * only after a commit, so a seq that was sent is never rolled back (and, the column
 * being AUTOINCREMENT, never reused).
 */
export class ChangeLog {
  readonly append: Statement<[string, unknown, number, string, number, string | null]>;
  /** Removes an entry: a collected tombstone's, or one superseded by a later write of its key. */
  readonly remove: Statement<[number]>;
  private readonly after: Statement<[number, number], LogEntry>;
  private readonly ofTable: Statement<[string], LogEntry>;
  private readonly head: Statement<[], number | null>;
  private readonly hlcOf: Statement<[number], number>;

  constructor(db: Database) {
    this.append = db.prepare('INSERT INTO _changes (tbl, k, hlc, node, op, src) VALUES (?, ?, ?, ?, ?, ?)');
    this.remove = db.prepare('DELETE FROM _changes WHERE seq = ?');
    this.ofTable = db.prepare(
      'SELECT seq, tbl, k, hlc, node, op, src FROM _changes WHERE tbl = ? AND op IN (0, 1) ORDER BY seq',
    );
    this.after = db.prepare('SELECT seq, tbl, k, hlc, node, op, src FROM _changes WHERE seq > ? ORDER BY seq LIMIT ?');
    // The AUTOINCREMENT counter, not max(seq): collecting the newest entries must not move the head back.
    this.head = db.prepare<[], number | null>("SELECT seq FROM sqlite_sequence WHERE name = '_changes'").pluck();
    this.hlcOf = db.prepare<[number], number>('SELECT hlc FROM _changes WHERE seq > ? ORDER BY seq LIMIT 1').pluck();
  }

  entriesAfter(seq: number, limit: number): LogEntry[] {
    return this.after.all(seq, limit);
  }

  /** The newest put or delete entry of each key of a table (a scan: for rare work such as a resync). */
  latestEntries(table: string): Map<string, LogEntry> {
    const latest = new Map<string, LogEntry>();
    for (const entry of this.ofTable.all(table)) {
      latest.set(typeof entry.k === 'number' ? `n${entry.k}` : `s${entry.k}`, entry);
    }
    return latest;
  }

  headSeq(): number {
    return this.head.get() ?? 0;
  }

  /** The clock of the first entry after `seq`, if any: how old the oldest unsent change is. */
  firstHlcAfter(seq: number): number | undefined {
    return this.hlcOf.get(seq);
  }
}
