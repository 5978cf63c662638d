import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { CheckpointWorkerData } from './checkpoint-worker.js';

/** How often the thread checkpoints: the WAL grows by at most this much writing (~20 MB at 100k puts/s). */
const INTERVAL_MS = 100;
/** WAL pages past which the daemon's own connection checkpoints, should the thread fall behind or fail. */
const BACKSTOP_PAGES = 10_000;

/**
 * Keeps WAL checkpoints off the event loop. SQLite checkpoints inside the COMMIT
 * that takes the WAL past 1,000 pages, and the checkpoint fsyncs the WAL and the
 * database: on this VM 10-30 ms during which no client is served, a quarter of a
 * pipelined put run's time (bench/README.md, "Pipelining without lockstep"). A
 * worker thread with its own connection checkpoints instead; the daemon's
 * connection keeps SQLite's own checkpoint only as a backstop at 10,000 pages.
 * Durability is unchanged: a commit is acknowledged once in the WAL, as before.
 */
export class Checkpointer {
  private readonly worker: Worker;
  /** Settles when the thread has ended, however it ended. */
  private readonly exited: Promise<void>;

  constructor(db: Database, log: (line: string) => void) {
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    const workerData: CheckpointWorkerData = {
      file: db.name,
      synchronous: db.pragma('synchronous', { simple: true }) as number,
      intervalMs: INTERVAL_MS,
    };
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData });
    this.worker.on('message', (message: string) => log(`a WAL checkpoint failed: ${message}`));
    this.worker.on('error', (error) =>
      log(`the checkpoint thread stopped (${error.message}); the daemon checkpoints past ${BACKSTOP_PAGES} pages`),
    );
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Stops the thread and closes its connection (before the daemon closes its own). */
  close(): Promise<void> {
    this.worker.postMessage('close');
    return this.exited;
  }
}
