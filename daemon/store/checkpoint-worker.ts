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
 * committed WAL frames into the database file every `intervalMs`. PASSIVE never
 * waits for the daemon's connection and never makes it wait; the fsyncs of the
 * copy happen here, not on the daemon's event loop.
 */
const { file, synchronous, intervalMs } = workerData as CheckpointWorkerData;
const db = new BetterSqlite3(file, { fileMustExist: true });
db.pragma(`synchronous = ${synchronous}`);
/** Whether the last checkpoint failed: a failure that lasts (a full disk) is reported once, not ten times a second. */
let failing = false;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failing = false;
  } catch (error) {
    if (!failing) parentPort?.postMessage(error instanceof Error ? error.message : String(error));
    failing = true;
  }
}, intervalMs);
parentPort?.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
