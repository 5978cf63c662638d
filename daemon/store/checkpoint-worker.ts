import { type FSWatcher, statSync, watch } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

/** What the checkpointer hands the thread (checkpointer.ts). */
export interface CheckpointWorkerData {
  file: string;
  /** The daemon's own connection's setting: the checkpoint syncs as it would have. */
  synchronous: number;
  intervalMs: number;
}

/**
 * The checkpoint thread: its own connection to the daemon's database, which copies
 * committed WAL frames into the database file at most every `intervalMs`. PASSIVE
 * never waits for the daemon's connection and never makes it wait; the fsyncs of
 * the copy happen here, not on the daemon's event loop.
 *
 * It wakes only when the WAL has been written: it watches the file (inotify), and
 * after the first change stops watching, waits `intervalMs` for more commits to
 * gather, copies them, and watches again. An idle daemon's thread sleeps: a timer
 * that woke it ten times a second cost 3 ms of CPU a second on this VM.
 */
const { file, synchronous, intervalMs } = workerData as CheckpointWorkerData;
const wal = `${file}-wal`;
const db = new BetterSqlite3(file, { fileMustExist: true });
db.pragma(`synchronous = ${synchronous}`);
/** Whether the last checkpoint failed: a failure that lasts (a full disk) is reported once, not ten times a second. */
let failing = false;
/** The WAL's modification time when a checkpoint last copied all of it. */
let copiedAt: bigint | undefined;
let watcher: FSWatcher | undefined;
let timer: NodeJS.Timeout | undefined;

function walChangedAt(): bigint | undefined {
  return statSync(wal, { bigint: true, throwIfNoEntry: false })?.mtimeNs;
}

function checkpoint(): void {
  const changedAt = walChangedAt();
  if (changedAt === undefined || changedAt === copiedAt) return;
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
    // A reader of an older snapshot can hold frames back: then the next round tries again.
    copiedAt = result !== undefined && result.log === result.checkpointed ? changedAt : undefined;
    failing = false;
  } catch (error) {
    copiedAt = undefined;
    if (!failing) parentPort?.postMessage(error instanceof Error ? error.message : String(error));
    failing = true;
  }
}

/** A row of `PRAGMA wal_checkpoint`: frames in the WAL, and how many of them are now in the database. */
interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

function round(): void {
  timer = undefined;
  checkpoint();
  watchWal();
}

function later(): void {
  watcher?.close();
  watcher = undefined;
  timer ??= setTimeout(round, intervalMs);
}

function watchWal(): void {
  try {
    watcher = watch(wal, { persistent: true }, later);
    watcher.on('error', later);
  } catch {
    // No inotify watch to be had (the user's limit is reached): look again after the interval.
    later();
    return;
  }
  // A commit between the copy and the watch, or frames a reader held back, are not waited for.
  if (walChangedAt() !== copiedAt) later();
}

round();
parentPort?.once('message', () => {
  watcher?.close();
  clearTimeout(timer);
  db.close();
  parentPort?.close();
});
