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

interface Pending {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit. Writes run inside one open transaction (the first held back
 * until a second comes, see `held`); the transaction commits when the event loop
 * has taken in everything that arrived together (setImmediate), when the batch
 * is full, or before a read (reads share a read transaction of their own, see
 * read()). Each writer's promise
 * settles only after the commit, so an acknowledged write is in the database
 * file. If any statement fails, the whole batch is rolled back and every writer
 * in it gets the error: nothing half-written is ever acknowledged.
 */
export class WriteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;
  /**
   * A batch's first write, when it is one statement, is held back: if nothing
   * joins it before the commit it runs alone in autocommit, its own commit, with
   * no BEGIN or COMMIT to pay (a sequential put). A second write runs it first.
   */
  private held: (() => void) | undefined;
  /** A read ran in this turn of the event loop (in autocommit); the next one opens a read transaction. */
  private readThisTurn = false;
  /** The turn (`turns[0]`) of the last read that ran in autocommit; -1 is no turn. */
  private readTurn = -1;

  constructor(
    private readonly db: Database,
    private readonly hooks: BatchHooks = {},
    private readonly maxBatch = 1024,
    private readonly schedule: (callback: () => void) => void = setImmediate,
    /** The event loop's turn counter (loadTurnCounter); without it a read marks its turn's end with `schedule`. */
    private readonly turns: Uint32Array | null = loadTurnCounter(),
  ) {}

  /** True when no batch is open: a write now would be the first of one (and one statement would be held). */
  get idle(): boolean {
    return this.pending.length === 0 && !this.db.inTransaction;
  }

  /**
   * Like write, for work that is exactly one statement: when it starts a batch it
   * is held until the commit or the next write (see `held`), so whatever it uses
   * must outlive this call.
   */
  writeStatement(work: () => void): Promise<void> {
    if (!this.idle) return this.write(work);
    this.held = work;
    const done = new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject }));
    this.commitLater();
    return done;
  }

  /** Runs `work` in the current batch; resolves with its result once committed. */
  write<T>(work: () => T): Promise<T> {
    if (this.held !== undefined) this.runHeld();
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
      this.db.exec('BEGIN');
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

  /** Another write joins the held one: the batch becomes a transaction, the held write its first statement. */
  private runHeld(): void {
    const held = this.held!;
    this.held = undefined;
    if (!this.db.inTransaction) this.db.exec('BEGIN');
    try {
      held();
    } catch (error) {
      this.abort(error);
    }
  }

  /** Commits whatever is pending, so that a read sees only committed data. */
  commit(): void {
    if (this.pending.length === 0) {
      if (this.db.inTransaction) this.db.exec('COMMIT');
      return;
    }
    const batch = this.pending;
    this.pending = [];
    const held = this.held;
    this.held = undefined;
    try {
      // A held write is alone in its batch: outside a transaction it commits itself.
      held?.();
      if (this.db.inTransaction) this.db.exec('COMMIT');
    } catch (error) {
      this.rollback();
      const translated = translateSqliteError(error);
      for (const writer of batch) writer.reject(translated);
      return;
    }
    this.hooks.committed?.();
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
    this.hooks.rolledBack?.();
  }
}
