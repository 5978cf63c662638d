import type { Database } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import { isDiskFull, translateSqliteError } from './sqlite-errors.js';

/** What the batcher tells its owner about each batch. */
export interface BatchHooks {
  /**
   * After a commit that wrote (a batch, or a journaled transaction at the end of its interval), before
   * the batch's writers hear of it: work due once per commit rather than once per write. A journaled
   * turn is no commit: its writes are told of at the commit that takes them into the database.
   */
  committed?: () => void;
  /** After a batch was rolled back, so whatever it counted on can start again from the database. */
  rolledBack?: () => void;
  /**
   * Journaled writes a rollback took could not be run again: the batcher refuses every read and write
   * from now on (they would miss acknowledged puts), and the journal keeps them for the next start.
   */
  journalLost?: (error: unknown) => void;
}

/** Writes the owner keeps back to run together at the commit (the store's puts, see PutBuffer). */
export interface DeferredWrites {
  /** How many statements running them takes; 0 when none wait. */
  readonly statementCount: number;
  /**
   * Runs them in the current transaction, or alone in autocommit when they are one statement, and forgets them;
   * `journaled`: they are also added to the journal's turn (see BatchJournal).
   */
  flush(journaled?: boolean): void;
  /**
   * Adds them to the journal's turn, and may keep them waiting: journaled, they are durable
   * once the turn is written, and run at the next read, write or commit (see read()).
   */
  hold(): void;
  /** Forgets them without running them: their batch failed. */
  discard(): void;
}

/**
 * Where a turn of deferred writes is made durable without a commit (the store's put journal,
 * see PutJournal): the batcher then keeps its transaction open and commits it within
 * `intervalMs`, so a put costs one append to a file instead of a SQLite commit (its WAL
 * frames, checksums and six lock calls).
 */
export interface BatchJournal {
  /** The longest a journaled transaction stays open. */
  readonly intervalMs: number;
  /** Whether another turn may be journaled rather than committed (the file is under its limit). */
  readonly hasRoom: boolean;
  /** Appends the turn that `hold()` added, in one write; throws (having kept nothing of it) if that failed. */
  write(): void;
  /** Forgets the turn that `hold()` added: its statements failed. */
  discardTurn(): void;
  /** After a commit: everything journaled is in the database now. */
  empty(): void;
  /** After a rollback took journaled writes with it: runs every one of them again in the current transaction. */
  restore(): void;
}

/**
 * Runs a write outside the group commit (a module's own statements on the database, not the
 * store's): whatever transaction the batcher holds open is committed first, so `work`'s statements
 * commit on their own and are durable when it returns, before any answer about them leaves.
 */
export type WriteApart = <T>(work: () => T) => T;

/**
 * Who waits for a write: given its answer once the write is durable, or the error that failed its batch.
 * A promise's two functions, or a request's answer itself (see writeDeferredTo).
 */
export interface Writer {
  resolve(value: unknown): void;
  reject(error: unknown): void;
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
 *
 * With a journal, a turn whose writes are all deferred (puts) is journaled instead
 * of committed: its statements run in a transaction held open for up to the
 * journal's interval (not in the turn itself, but at the next read, write or commit,
 * or once 64 rows wait), their writers settle once the journal has them, and reads
 * read inside that transaction, after those statements. Any other write, a full journal, the interval's
 * end, settle() and commit() commit it. A rollback that takes journaled writes
 * with it has the journal write them again, so an acknowledged put is never lost.
 */
export class WriteBatcher {
  /** The writers waiting for the pending batch, and beside each the value it is answered with. */
  private pending: Writer[] = [];
  private values: unknown[] = [];
  private scheduled = false;
  /** This batcher opened the current transaction (a batch, or the reads' held transaction) and has not ended it. */
  private holding = false;
  /** The current transaction is the reads' (see read()): a write ends it before it runs. */
  private readHeld = false;
  /** The current transaction holds journaled writes, acknowledged but not committed. */
  private journaled = false;
  /** The pending batch has writes other than deferred ones: it must commit, not be journaled. */
  private mustCommit = false;
  /** Commits a journaled transaction at the end of the journal's interval. */
  private commitTimer: NodeJS.Timeout | undefined;
  /** See commitWhenQuiet: how long a journaled transaction waits with no new turn; 0: the interval only. */
  private quietMs = 0;
  /** Commits a journaled transaction once no turn was journaled for `quietMs`. */
  private quietTimer: NodeJS.Timeout | undefined;
  /** Writers of writeLater: answered by the commit that ends the transaction their work is in. */
  private later: Writer[] = [];
  private laterValues: unknown[] = [];
  /** Set when journaled writes were lost from the transaction and could not be restored (see journalLost). */
  private lost: CortexError | undefined;
  /** Why the last batch failed: what commitOrThrow reports when its commit did not happen. */
  private lastFailure: Error | undefined;

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
    private readonly journal?: BatchJournal,
  ) {}

  /**
   * A writer whose statements wait in `deferred`; resolves with `value` once they are committed.
   * The value is the caller's answer (a put's), so that no reaction of the caller's own is needed to make it.
   */
  writeDeferred<T>(value: T): Promise<T> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    const done = new Promise<T>((resolve, reject) => this.wait({ resolve, reject }, value));
    this.deferredAdded();
    return done;
  }

  /**
   * As writeDeferred, answering `writer` itself instead of a promise's functions: a request's answer
   * (a put's) then leaves with no promise, reaction or closure of its own.
   */
  writeDeferredTo(writer: Writer, value: unknown): void {
    if (this.lost !== undefined) {
      writer.reject(this.lost);
      return;
    }
    this.wait(writer, value);
    this.deferredAdded();
  }

  private wait(writer: Writer, value: unknown): void {
    this.pending.push(writer);
    this.values.push(value);
  }

  private deferredAdded(): void {
    if (this.pending.length >= this.maxBatch) this.endTurn();
    else this.commitLater();
  }

  /** Runs `work` in the current batch, after the deferred writes; resolves with its result once committed. */
  write<T>(work: () => T): Promise<T> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    this.mustCommit = true;
    const ran = this.runInTransaction(work);
    if ('error' in ran) return Promise.reject(ran.error);
    const { value } = ran;
    const done = new Promise<T>((resolve, reject) => this.wait({ resolve, reject }, value));
    if (this.pending.length >= this.maxBatch) this.commit();
    else this.commitLater();
    return done;
  }

  /**
   * Runs `work` in this batcher's transaction (opening one, after ending the reads'), after the deferred
   * writes; a failure aborts the pending batch with it and is returned, translated.
   */
  private runInTransaction<T>(work: () => T): { value: T } | { error: Error } {
    this.endHeldRead();
    if (!this.db.inTransaction) this.begin();
    try {
      if (this.deferred.statementCount > 0) this.deferred.flush();
      return { value: work() };
    } catch (error) {
      this.abort(error);
      return { error: translateSqliteError(error) };
    }
  }

  /**
   * The open transaction holds writes a rollback would take for good (a batch's, not journaled puts, which
   * the journal writes again): a reader of the log from inside it must commit first (see Replica).
   */
  get holdsUnjournaledWrites(): boolean {
    return this.mustCommit;
  }

  /**
   * Commits a journaled transaction as soon as `ms` pass with no new turn of puts, as well as at the end
   * of the interval (0: at the end only, as mesh_commit_quiet_ms 0 asks). For a node whose commits are what its peers wait for
   * (the mesh sends committed changes only): a stream of puts still shares one commit per interval, and
   * a lone put leaves after `ms` rather than the whole interval.
   */
  commitWhenQuiet(ms: number): void {
    this.quietMs = ms;
    if (ms === 0) this.stopQuietTimer();
    // Puts held before the first link would otherwise wait for the interval, or for the next turn of puts.
    else if (this.journaled) this.commitOnceQuiet();
  }

  /**
   * Bookkeeping that may wait for the next commit rather than force one (a peer's acknowledgement,
   * a checkpoint that moves past changes the peer did not send): `work` runs now, in the held
   * transaction, which commits within the journal's interval or with the next write that must
   * commit; resolves then. A rollback takes it and rejects it. Forcing a commit for each of these
   * made every round trip with a linked peer a commit, and each commit sends the next batch, so
   * a busy node committed as often as its peer answered. Without a journal, as write().
   */
  writeLater<T>(work: () => T): Promise<T> {
    const journal = this.journal;
    if (journal === undefined) return this.write(work);
    // A turn of puts not ended yet is journaled first, as before a read: flushed below unjournaled, its
    // rows would be answered from the held transaction alone, and lost with it (a crash, a rollback).
    if (this.pending.length > 0 && this.lost === undefined) this.endTurn();
    if (this.lost !== undefined) return Promise.reject(this.lost);
    const ran = this.runInTransaction(work);
    if ('error' in ran) return Promise.reject(ran.error);
    const { value } = ran;
    this.commitWithin(journal);
    return new Promise<T>((resolve, reject) => {
      this.later.push({ resolve, reject });
      this.laterValues.push(value);
    });
  }

  /**
   * Before a read: make pending writes durable (journaled or committed), so the read
   * sees nothing that could still be lost, then read in the held transaction: a
   * journaled one, or the reads' transaction, opened by the first read and held across
   * turns of the event loop until a write (or settle, or a commit) ends it. A
   * sequential get then takes no WAL read lock of its own (two `fcntl`) and checks
   * no WAL header. Its snapshot is still the newest: every write to the database
   * while the daemon runs goes through this batcher, Store.exclusive or WriteApart,
   * and each ends it first.
   */
  read(): void {
    this.refuseIfLost();
    if (this.pending.length > 0) {
      this.endTurn();
      // Ending the turn can be what loses the journaled puts: then SQLite no longer holds what was acknowledged.
      this.refuseIfLost();
    }
    if (this.deferred.statementCount > 0) this.runHeld();
    if (this.db.inTransaction) return;
    this.begin();
    this.readHeld = true;
  }

  /**
   * Runs the journaled writes that wait in `deferred` (see DeferredWrites.hold) in the journaled
   * transaction, so that a read sees every acknowledged put. They were acknowledged: if their
   * statements fail, the rollback has the journal write them again, and if that fails too the
   * store stops (journalLost) and this throws why, as after a failed commit.
   */
  private runHeld(): void {
    try {
      this.deferred.flush();
    } catch (error) {
      this.fail([], error);
    }
    this.refuseIfLost();
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
    // A turn that may be journaled ends as soon as the reads that brought it are handled: in a microtask,
    // after the daemon's one call into JavaScript for all its Unix connections' reads of the turn, not in
    // the check phase (an immediate cost a sequential put ~4,000 instructions). A commit waits for the turn.
    if (this.journal !== undefined && !this.mustCommit) queueMicrotask(this.endScheduledTurn);
    else this.schedule(this.endScheduledTurn);
  }

  private readonly endScheduledTurn = (): void => {
    this.scheduled = false;
    this.endTurn();
  };

  /** Makes the pending writes durable: journaled when they may be, committed otherwise. */
  private endTurn(): void {
    if (this.journal !== undefined && !this.mustCommit && this.journal.hasRoom) this.journalPending(this.journal);
    else this.commit();
  }

  /**
   * Appends the pending deferred writes to the journal, in the held transaction (opening
   * it, and the timer that commits it, if needed), which runs their statements at the
   * next read, write or commit, or now when many wait (see DeferredWrites.hold); their
   * writers settle now, before any commit.
   */
  private journalPending(journal: BatchJournal): void {
    if (this.pending.length === 0) return;
    const { writers: batch, values } = this.takeBatch();
    try {
      this.endHeldRead();
      if (!this.db.inTransaction) this.begin();
      this.commitWithin(journal);
      this.deferred.hold();
      journal.write();
      this.commitOnceQuiet();
    } catch (error) {
      journal.discardTurn();
      this.fail(batch, error);
      return;
    }
    answer(batch, values);
  }

  /** Starts, or starts again, the wait of commitWhenQuiet. */
  private commitOnceQuiet(): void {
    if (this.quietMs === 0) return;
    if (this.quietTimer === undefined) this.quietTimer = setTimeout(() => this.commit(), this.quietMs);
    else this.quietTimer.refresh();
  }

  private stopQuietTimer(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
  }

  /** The transaction ends (or the store closes): neither of its commit timers is due any more. */
  private stopTimers(): void {
    clearTimeout(this.commitTimer);
    this.stopQuietTimer();
  }

  /** Holds the open transaction as a journaled one: committed at the end of the journal's interval at the latest. */
  private commitWithin(journal: BatchJournal): void {
    if (this.journaled) return;
    this.journaled = true;
    this.commitTimer = setTimeout(() => this.commit(), journal.intervalMs);
  }

  /**
   * Ends the transaction this batcher holds open, if any, committing its batch: a write that runs
   * next outside the batcher then commits on its own (see WriteApart). A transaction opened by
   * someone else (`db.transaction`) is theirs to end and is left alone.
   */
  settle(): void {
    if (this.holding) this.commitOrThrow();
  }

  /**
   * Commits, or throws why not: after a failed COMMIT the journaled puts are back in a held
   * transaction, and whatever the caller runs next (a catalog change, a write apart) would join it
   * and be answered uncommitted. Once the store has stopped (see journalLost), throws that.
   */
  commitOrThrow(): void {
    this.refuseIfLost();
    this.commit();
    this.refuseIfLost();
    if (!this.journaled) return;
    const failure: Error = this.lastFailure ?? new CortexError('EINTERNAL', 'The commit failed.');
    throw failure;
  }

  private refuseIfLost(): void {
    if (this.lost !== undefined) throw this.lost;
  }

  /** Stops the timer and refuses all work from now on (the database is about to close). */
  close(): void {
    this.stopTimers();
    this.lost ??= new CortexError('ECLOSED', 'The store is closed.');
  }

  /** Commits whatever is pending, and whatever the held transaction holds. */
  commit(): void {
    if (this.lost !== undefined) return;
    const { writers: batch, values } = this.takeBatch();
    this.mustCommit = false;
    let wrote: boolean;
    try {
      this.endHeldRead();
      const statements = this.deferred.statementCount;
      // Past the reads' transaction, an open one holds writes: a batch's, or journaled turns'.
      wrote = statements > 0 || this.db.inTransaction;
      // One statement outside a transaction commits itself.
      if (statements > 1 && !this.db.inTransaction) this.begin();
      if (statements > 0) this.deferred.flush();
      if (this.db.inTransaction) this.end('COMMIT');
    } catch (error) {
      this.fail(batch, error);
      return;
    }
    if (wrote || batch.length > 0) this.hooks.committed?.();
    if (batch.length > 0) answer(batch, values);
    if (this.later.length > 0) answer(...this.takeLater());
  }

  /** writeLater's writers and their values, leaving none. */
  private takeLater(): [Writer[], unknown[]] {
    const taken: [Writer[], unknown[]] = [this.later, this.laterValues];
    this.later = [];
    this.laterValues = [];
    return taken;
  }

  /** The pending batch's writers and their values, leaving none pending. */
  private takeBatch(): { writers: Writer[]; values: unknown[] } {
    const taken = { writers: this.pending, values: this.values };
    this.pending = [];
    this.values = [];
    return taken;
  }

  /** A statement, the journal or the commit failed: the batch's writers get the error, the journal's writes stay. */
  private fail(batch: Writer[], error: unknown): void {
    const translated = translateSqliteError(error);
    this.lastFailure = translated;
    const [later] = this.takeLater();
    try {
      this.rollback();
    } finally {
      for (const writer of batch) writer.reject(translated);
      for (const writer of later) writer.reject(translated);
    }
  }

  private begin(): void {
    this.db.exec('BEGIN');
    this.holding = true;
  }

  /** Ends the transaction; a committed one takes the journal's writes into the database, so the journal is emptied. */
  private end(statement: 'COMMIT' | 'ROLLBACK'): void {
    this.db.exec(statement);
    this.holding = false;
    this.readHeld = false;
    if (!this.journaled) return;
    this.journaled = false;
    this.stopTimers();
    if (statement === 'COMMIT') this.journal!.empty();
  }

  /** A statement failed: drop the batch so no half-applied write survives. */
  private abort(error: unknown): void {
    const { writers: batch } = this.takeBatch();
    this.mustCommit = false;
    this.fail(batch, error);
  }

  /**
   * Drops the transaction and what waits for it. Journaled writes it held were
   * acknowledged: the journal writes them again in a transaction of their own,
   * held open as before, so nothing acknowledged goes missing while the daemon runs.
   */
  private rollback(): void {
    const hadJournaled = this.journaled;
    this.deferred.discard();
    try {
      if (this.db.inTransaction) this.rollBackTransaction();
      this.hooks.rolledBack?.();
    } finally {
      if (hadJournaled) this.restoreJournaled(this.journal!);
    }
  }

  /** A failed COMMIT may leave the transaction open, or SQLite may have rolled it back already. */
  private rollBackTransaction(): void {
    try {
      this.end('ROLLBACK');
    } catch {
      this.holding = false;
      this.readHeld = false;
      this.journaled = false;
      this.stopTimers();
    }
  }

  private restoreJournaled(journal: BatchJournal): void {
    try {
      this.begin();
      journal.restore();
    } catch (error) {
      this.rollBackTransaction();
      this.lost = stoppedBy(error);
      this.hooks.journalLost?.(error);
      return;
    }
    this.commitWithin(journal);
    // Written again, they are held as a turn of puts would be: with peers linked, not for the whole interval.
    this.commitOnceQuiet();
    this.hooks.rolledBack?.();
  }
}

/**
 * Why the store stopped, as every later read and write hears it. A full disk says so (ENOSPC): the client
 * can do something about it, and the puts come back at the next start once there is room.
 */
function stoppedBy(error: unknown): CortexError {
  if (isDiskFull(error)) {
    return new CortexError(
      'ENOSPC',
      'The disk is full: acknowledged puts could not be written to the database, so the store stopped; the put journal keeps them, and the next start writes them once there is room.',
    );
  }
  return new CortexError(
    'EINTERNAL',
    'The store stopped: acknowledged puts could not be written again after a failed commit; they are kept in the journal for the next start.',
  );
}

function answer(writers: Writer[], values: unknown[]): void {
  for (let i = 0; i < writers.length; i++) writers[i]!.resolve(values[i]);
}

const NO_DEFERRED_WRITES: DeferredWrites = { statementCount: 0, flush: () => {}, hold: () => {}, discard: () => {} };
