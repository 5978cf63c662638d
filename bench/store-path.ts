import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { openDatabase } from '../daemon/store/open-database.js';
import { Store } from '../daemon/store/store.js';
import { Decoder } from '../src/protocol/msgpack-decode.js';
import { encode } from '../src/protocol/msgpack-encode.js';
import type { StoredRecord } from '../src/protocol/store-types.js';
import { selfCpuMicros } from './cpu.js';
import { ATTRIBUTES, TABLE, key, readOrder, record } from './workload.js';

/**
 * The store's share of the hot path, in process: the daemon's `Store` on a real
 * database file, called as the record handlers call it, with no socket, codec or
 * client. CPU per operation is this process's own, so it holds on a loaded
 * machine; under `valgrind --tool=callgrind` two sizes (STORE_PATH_OPS) give
 * instructions per operation by difference, which no other load moves at all.
 *
 *   node dist/bench/store-path.js                                   # every workload
 *   STORE_PATH_ONLY=pipe-put STORE_PATH_OPS=20000 node dist/bench/store-path.js
 *   STORE_PATH_ONLY=pipe-put STORE_PATH_DEPTH=16 node dist/bench/store-path.js    # smaller group commits
 *
 * `log-read` reads the change log from its start in pages, as a peer's catch-up
 * does, going round again at its end; an operation is one entry read.
 */
const WORKLOADS = ['seq-get', 'pipe-get', 'seq-put', 'pipe-put', 'log-read'] as const;
type Workload = (typeof WORKLOADS)[number];

/** Operations per burst (per turn of the event loop, and so per group commit) in the pipelined workloads. */
const DEPTH = positive('STORE_PATH_DEPTH', 64);
const PREFILL = 10_000;
/** Entries per read of the change log, as the mesh's outbound batches read it (daemon/mesh/outbound.ts). */
const LOG_PAGE = 1024;

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer.`);
  return value;
}

/**
 * Records as the connection hands them to the store: decoded, remembering the bytes they came in.
 * STORE_PATH_REENCODE=1 forgets the bytes, so the store encodes each record again (the remedy undone).
 */
function arrivingRecords(prefix: string, count: number): StoredRecord[] {
  const decoder = new Decoder(undefined, process.env['STORE_PATH_REENCODE'] === '1' ? new Set() : new Set([0]));
  return Array.from(
    { length: count },
    (_, index) => decoder.decode(encode(record(key(prefix, index), index))) as StoredRecord,
  );
}

/** Builds the workload's inputs up front, so the timed part is the store's work alone. */
function prepare(store: Store, workload: Workload, ops: number): () => Promise<void> {
  const burst = workload.startsWith('pipe') ? DEPTH : 1;
  if (workload.endsWith('get')) {
    const keys = Array.from(readOrder(ops, PREFILL), (position) => key('pf', position));
    return async () => {
      for (let first = 0; first < ops; first += burst) {
        for (let i = first; i < Math.min(ops, first + burst); i++) {
          if (store.get(TABLE, keys[i]!) === null) throw new Error(`${keys[i]} was prefilled but get found nothing`);
        }
        // The connection answers a burst in one turn of the event loop; the next burst comes in the next.
        await nextTurn();
      }
    };
  }
  if (workload === 'log-read') return () => readLog(store, ops);
  const records = arrivingRecords(workload === 'pipe-put' ? 'pp' : 'sp', ops);
  return async () => {
    for (let first = 0; first < ops; first += burst) {
      const writes: Promise<void>[] = [];
      for (let i = first; i < Math.min(ops, first + burst); i++) writes.push(store.put(TABLE, records[i]!));
      await Promise.all(writes);
    }
  };
}

/** Reads `entries` change-log entries in pages from the start, starting over at the head. */
async function readLog(store: Store, entries: number): Promise<void> {
  let after = 0;
  for (let read = 0; read < entries;) {
    const page = store.replica.changesAfter(after, Math.min(LOG_PAGE, entries - read));
    if (page.length === 0) {
      if (after === 0) throw new Error('the change log is empty');
      after = 0;
      continue;
    }
    read += page.length;
    after = page[page.length - 1]!.seq;
    await nextTurn();
  }
}

async function main(): Promise<void> {
  const ops = positive('STORE_PATH_OPS', 64_000);
  const only = process.env['STORE_PATH_ONLY'];
  const home = mkdtempSync(join(tmpdir(), 'cortex-store-path-'));
  const db = openDatabase(home, 'normal', { node: 'bench-node' });
  try {
    const store = new Store(db, 'bench-node');
    store.createTable({ name: TABLE, attributes: ATTRIBUTES, owner: 'bench' });
    for (let first = 0; first < PREFILL; first += 1000) {
      const records = Array.from({ length: 1000 }, (_, i) => record(key('pf', first + i), first + i));
      await store.putMany(TABLE, records);
    }
    for (const workload of WORKLOADS) {
      if (only !== undefined && only !== workload) continue;
      const timed = prepare(store, workload, ops);
      const start = selfCpuMicros();
      const began = performance.now();
      await timed();
      const cpu = (selfCpuMicros() - start) / ops;
      const wall = ((performance.now() - began) * 1000) / ops;
      console.log(
        `${workload.padEnd(8)} ${cpu.toFixed(2).padStart(6)} µs CPU/op ${wall.toFixed(2).padStart(7)} µs wall/op`,
      );
    }
  } finally {
    db.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
