import type { Database } from 'better-sqlite3';
import { translateSqliteError } from './sqlite-errors.js';

/** What the batcher tells its owner about each batch. */
export interface BatchHooks {
  /** After a batch committed, before its writers hear of it: work due once per commit rather than once per write. */
  committed?: () => void;
  /** After a batch was rolled back, so whatever it counted on can start again from the database. */
  rolledBack?: () => void;
}

/** Writes the owner keeps back to run together at the commit (the store's puts, see PutBuffer). */
export interface DeferredWrites {
  /** How many statements running them takes; 0 when none wait. */
  readonly statementCount: number;
  /** Runs them in the current transaction, or alone in autocommit when they are one statement, and forgets them. */
  flush(): void;
  /** Forgets them without running them: their batch failed. */
  discard(): void;
}

/**
 * Runs a write outside the group commit (a module's own statements on the database, not the
 * store's): whatever transaction the batcher holds open is committed first, so `work`'s statements
 * commit on their own and are durable when it returns, before any answer about them leaves.
 */
export type WriteApart = <T>(work: () => T) => T;

/** A writer waiting for the commit, and what its promise resolves with then. */
interface Pending {
  resolve: (value: unknown) => void;
  value: unknown;
  reject: (error: unknown) => void;
}

/**
 * Group commit. Writes run inside one open transaction; the transaction commits
 * when the event loop has taken in everything that arrived together
 * (setImmediate), when the batch is full, or before a read (reads share a read
 * transaction of their own, held until the next write: see read()). Deferred
 * writes (see `deferred`) wait until one of those, or until another write, and
 * then run first, so the batch keeps the order its writes came in. Each writer's
 * promise settles only after the commit, so an acknowledged write is in the
 * database file. If any statement fails, the whole batch is rolled back and every
 * writer in it gets the error: nothing half-written is ever acknowledged.
 */
export class WriteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  /** This batcher opened the current transaction (a batch, or the reads' held transaction) and has not ended it. */
  private holding = false;
  /** The current transaction is the reads' (see read()): a write ends it before it runs. */
  private readHeld = false;

  constructor(
    private readonly db: Database,
    private readonly hooks: BatchHooks = {},
    /**
     * Writes kept back to the commit. When they are the whole batch and one
     * statement, that statement runs alone in autocommit, its own commit, with no
     * BEGIN or COMMIT to pay (a sequential put).
     */
    private readonly deferred: DeferredWrites = NO_DEFERRED_WRITES,
    private readonly maxBatch = 1024,
    private readonly schedule: (callback: () => void) => void = setImmediate,
  ) {}

  /**
   * A writer whose statements wait in `deferred`; resolves with `value` once they are committed.
   * The value is the caller's answer (a put's), so that no reaction of the caller's own is needed to make it.
   */
  writeDeferred<T>(value: T): Promise<T> {
    const done = new Promise<T>((resolve, reject) =>
      this.pending.push({ resolve: resolve as (value: unknown) => void, value, reject }),
    );
    if (this.pending.length >= this.maxBatch) this.commit();
    else this.commitLater();
    return done;
  }

  /** Runs `work` in the current batch, after the deferred writes; resolves with its result once committed. */
  write<T>(work: () => T): Promise<T> {
    this.endHeldRead();
    if (!this.db.inTransaction) this.begin();
    let value: T;
    try {
      if (this.deferred.statementCount > 0) this.deferred.flush();
      value = work();
    } catch (error) {
      this.abort(error);
      return Promise.reject(translateSqliteError(error));
    }
    const done = new Promise<T>((resolve, reject) =>
      this.pending.push({ resolve: resolve as (value: unknown) => void, value, reject }),
    );
    if (this.pending.length >= this.maxBatch) this.commit();
    else this.commitLater();
    return done;
  }

  /**
   * Before a read: commit pending writes, so the read sees only committed data,
   * then read in the reads' transaction, opened by the first read and held across
   * turns of the event loop until a write (or settle, or a commit) ends it. A
   * sequential get then takes no WAL read lock of its own (two `fcntl`) and checks
   * no WAL header. Its snapshot is still the newest: every write to the database
   * while the daemon runs goes through this batcher, Store.exclusive or WriteApart,
   * and each ends it first.
   */
  read(): void {
    if (this.pending.length > 0) this.commit();
    if (this.db.inTransaction) return;
    this.begin();
    this.readHeld = true;
  }

  /**
   * Before a write: ends the reads' transaction, so that the write takes a snapshot
   * of its own. A write inside a snapshot taken before the checkpointer copied the
   * WAL cannot start the WAL over, so writes in a held read would grow it without end.
   */
  private endHeldRead(): void {
    if (this.readHeld) this.end('COMMIT');
  }

  private commitLater(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.commit();
    });
  }

  /**
   * Ends the transaction this batcher holds open, if any, committing its batch: a write that runs
   * next outside the batcher then commits on its own (see WriteApart). A transaction opened by
   * someone else (`db.transaction`) is theirs to end and is left alone.
   */
  settle(): void {
    if (this.holding) this.commit();
  }

  /** Commits whatever is pending, so that a read sees only committed data. */
  commit(): void {
    if (this.pending.length === 0) {
      if (this.db.inTransaction) this.end('COMMIT');
      return;
    }
    const batch = this.pending;
    this.pending = [];
    try {
      this.endHeldRead();
      const statements = this.deferred.statementCount;
      // One statement outside a transaction commits itself.
      if (statements > 1 && !this.db.inTransaction) this.begin();
      if (statements > 0) this.deferred.flush();
      if (this.db.inTransaction) this.end('COMMIT');
    } catch (error) {
      this.rollback();
      const translated = translateSqliteError(error);
      for (const writer of batch) writer.reject(translated);
      return;
    }
    this.hooks.committed?.();
    for (const writer of batch) writer.resolve(writer.value);
  }

  private begin(): void {
    this.db.exec('BEGIN');
    this.holding = true;
  }

  private end(statement: 'COMMIT' | 'ROLLBACK'): void {
    this.holding = false;
    this.readHeld = false;
    this.db.exec(statement);
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
    this.deferred.discard();
    if (this.db.inTransaction) this.end('ROLLBACK');
    this.hooks.rolledBack?.();
  }
}

const NO_DEFERRED_WRITES: DeferredWrites = { statementCount: 0, flush: () => {}, discard: () => {} };
