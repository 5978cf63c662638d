import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Resources } from './cleanup.js';
import type { BenchConfig } from './config.js';
import { type Measurement, measurement, now } from './stats.js';
import { key, readOrder, recordBytes } from './workload.js';

export interface SqliteResults {
  seqGet: Measurement;
  seqPut: Measurement;
  /** Gets in read transactions of `depth`: what a pipelined get could reach at best. */
  batchGet: Measurement;
  /** Puts in write transactions of `depth`: what group commit of a pipelined put could reach at best. */
  batchPut: Measurement;
  /** Puts in write transactions of `clients`: one commit per round of the concurrent clients. */
  clientsPut: Measurement;
}

/**
 * The ceiling: the same SQLite, the same pragmas and a table of the same shape,
 * called in-process through prepared statements. No socket, no codec, no
 * validation, so Cortex can approach these figures but not pass them.
 * No per-op latency is recorded: reading the clock would be a visible share of
 * a 2 µs operation.
 */
export function runSqlite(config: BenchConfig, resources: Resources, progress: (line: string) => void): SqliteResults {
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-sqlite-'));
  let db: BetterSqlite3.Database | undefined;
  const release = () => {
    if (db?.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const done = resources.add('in-process sqlite', release, release);
  try {
    db = new BetterSqlite3(join(dir, 'anchor.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID');
    // INSERT OR REPLACE, like the daemon's put: a put may overwrite.
    const insert = db.prepare<[string, Buffer]>('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)');
    const select = db.prepare<[string], Buffer>('SELECT value FROM kv WHERE key = ?').pluck();
    const value = recordBytes();
    const conn = db;

    conn.transaction(() => {
      for (let i = 0; i < config.prefillKeys; i++) insert.run(key('pf', i), value);
    })();

    const order = readOrder(Math.max(config.sequentialOps, config.parallelOps), config.prefillKeys);
    const warmOrder = readOrder(config.warmupOps, config.prefillKeys, 7);
    const keysFor = (positions: Uint32Array, count: number) =>
      Array.from({ length: count }, (_, i) => key('pf', positions[i]!));

    const getOne = (id: string) => {
      if (select.get(id) === undefined) throw new Error(`sqlite: ${id} was prefilled but get found nothing`);
    };
    const getBatch = conn.transaction((ids: string[], from: number, to: number) => {
      for (let i = from; i < to; i++) getOne(ids[i]!);
    });
    const putBatch = conn.transaction((prefix: string, from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(key(prefix, i), value);
    });

    // Keys to read are built before the clock starts, as in the Cortex suite: only the store is timed.
    const timedGets = (name: string, ops: number, batch: number): Measurement => {
      const warm = keysFor(warmOrder, config.warmupOps);
      batched(config.warmupOps, batch, (from, to) => (batch === 1 ? getOne(warm[from]!) : getBatch(warm, from, to)));
      const ids = keysFor(order, ops);
      const start = now();
      batched(ops, batch, (from, to) => (batch === 1 ? getOne(ids[from]!) : getBatch(ids, from, to)));
      const result = measurement(ops, start, now());
      progress(`in-process ${name}: ${Math.round(result.opsPerSec)} ops/s`);
      return result;
    };
    const timedPuts = (name: string, ops: number, batch: number, prefix: string): Measurement => {
      batched(config.warmupOps, batch, (from, to) =>
        batch === 1 ? insert.run(key(`${prefix}w`, from), value) : putBatch(`${prefix}w`, from, to),
      );
      const start = now();
      batched(ops, batch, (from, to) =>
        batch === 1 ? insert.run(key(prefix, from), value) : putBatch(prefix, from, to),
      );
      const result = measurement(ops, start, now());
      progress(`in-process ${name}: ${Math.round(result.opsPerSec)} ops/s`);
      return result;
    };

    return {
      seqGet: timedGets('sequential get', config.sequentialOps, 1),
      batchGet: timedGets(`get, ${config.depth} per txn`, config.parallelOps, config.depth),
      seqPut: timedPuts('sequential put', config.sequentialOps, 1, 'sp'),
      batchPut: timedPuts(`put, ${config.depth} per txn`, config.parallelOps, config.depth, 'bp'),
      clientsPut: timedPuts(`put, ${config.clients} per txn`, config.parallelOps, config.clients, 'cp'),
    };
  } finally {
    // The release itself is synchronous: it has run when done() returns its promise.
    void done();
  }
}

function batched(total: number, size: number, run: (from: number, to: number) => unknown): void {
  for (let from = 0; from < total; from += size) run(from, Math.min(total, from + size));
}
