import type { Database } from 'better-sqlite3';
import { translateSqliteError } from './sqlite-errors.js';

interface Pending {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit. Writes run at once inside one open transaction; the transaction
 * commits when the event loop has taken in everything that arrived together
 * (setImmediate), when the batch is full, or before a read. Each writer's promise
 * settles only after the commit, so an acknowledged write is in the database
 * file. If any statement fails, the whole batch is rolled back and every writer
 * in it gets the error: nothing half-written is ever acknowledged.
 */
export class WriteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Database,
    private readonly maxBatch = 1024,
    private readonly schedule: (callback: () => void) => void = setImmediate,
  ) {}

  /** Runs `work` in the current batch; resolves with its result once committed. */
  write<T>(work: () => T): Promise<T> {
    if (!this.db.inTransaction) this.db.exec('BEGIN');
    let value: T;
    try {
      value = work();
    } catch (error) {
      this.abort(error);
      return Promise.reject(translateSqliteError(error));
    }
    const done = new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: () => resolve(value), reject });
    });
    if (this.pending.length >= this.maxBatch) this.commit();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => {
        this.scheduled = false;
        this.commit();
      });
    }
    return done;
  }

  /** Commits whatever is pending, so that a read sees only committed data. */
  commit(): void {
    if (this.pending.length === 0) {
      if (this.db.inTransaction) this.db.exec('COMMIT');
      return;
    }
    const batch = this.pending;
    this.pending = [];
    try {
      this.db.exec('COMMIT');
    } catch (error) {
      this.rollback();
      const translated = translateSqliteError(error);
      for (const writer of batch) writer.reject(translated);
      return;
    }
    for (const writer of batch) writer.resolve();
  }

  /** A statement failed: drop the batch so no half-applied write survives. */
  private abort(error: unknown): void {
    this.rollback();
    const batch = this.pending;
    this.pending = [];
    const translated = translateSqliteError(error);
    for (const writer of batch) writer.reject(translated);
  }

  private rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }
}
