import type { Database } from 'better-sqlite3';
import { loadTurnCounter } from '../native/turns.js';
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
 * transaction of their own, see read()). Deferred writes (see `deferred`) wait
 * until one of those, or until another write, and then run first, so the batch
 * keeps the order its writes came in. Each writer's promise settles only after
 * the commit, so an acknowledged write is in the database file. If any
 * statement fails, the whole batch is rolled back and every writer in it gets
 * the error: nothing half-written is ever acknowledged.
 */
export class WriteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  /** A read ran in this turn of the event loop (in autocommit); the next one opens a read transaction. */
  private readThisTurn = false;
  /** The turn (`turns[0]`) of the last read that ran in autocommit; -1 is no turn. */
  private readTurn = -1;
  /** This batcher opened the current transaction (a batch, or a turn's shared read) and has not ended it. */
  private holding = false;

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
    /** The event loop's turn counter (loadTurnCounter); without it a read marks its turn's end with `schedule`. */
    private readonly turns: Uint32Array | null = loadTurnCounter(),
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
   * Before a read: commit pending writes, so the read sees only committed data.
   * The first read of a turn of the event loop runs in autocommit: a lone get
   * (a sequential client) pays no BEGIN or COMMIT. A second read in the same turn
   * opens a read transaction that lasts until the turn ends, so a burst of
   * pipelined reads, or one read from each of many clients, shares one snapshot
   * and one lock instead of taking both for every statement.
   */
  read(): void {
    if (this.pending.length > 0) this.commit();
    if (this.db.inTransaction) return;
    if (this.readBeforeInThisTurn()) {
      this.begin();
      this.commitLater();
    }
  }

  /**
   * Whether a read already ran in this turn, noting that one does now. The turn
   * counter makes that one comparison; without it a lone read schedules a callback
   * only to learn where its turn ends (many connections' reads in one turn are
   * separate callbacks, each followed by its microtasks: a microtask cannot mark it).
   */
  private readBeforeInThisTurn(): boolean {
    if (this.turns !== null) {
      const turn = this.turns[0]!;
      if (turn === this.readTurn) return true;
      this.readTurn = turn;
      return false;
    }
    if (this.readThisTurn) return true;
    this.readThisTurn = true;
    this.commitLater();
    return false;
  }

  private commitLater(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.readThisTurn = false;
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
