import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { openDatabase } from '../daemon/store/open-database.js';
import { Store } from '../daemon/store/store.js';
import { Decoder } from '../src/protocol/msgpack-decode.js';
import { encode } from '../src/protocol/msgpack-encode.js';
import type { StoredRecord } from '../src/protocol/store-types.js';
import { InstructionCounter, rerunUnderCallgrind } from './callgrind.js';
import { selfCpuMicros } from './cpu.js';
import { ATTRIBUTES, TABLE, key, readOrder, record } from './workload.js';

/**
 * The store's share of the hot path, in process: the daemon's `Store` on a real
 * database file, called as the record handlers call it, with no socket, codec or
 * client. CPU per operation is this process's own, so it holds on a loaded
 * machine. With STORE_PATH_CALLGRIND=1 it runs itself again under callgrind and
 * prints the main thread's instructions per operation instead, which no other
 * load moves: each workload runs once on other keys to warm the JIT, then once
 * counted.
 *
 *   node dist/bench/store-path.js                                   # every workload
 *   STORE_PATH_CALLGRIND=1 STORE_PATH_ONLY=seq-put STORE_PATH_OPS=4000 node dist/bench/store-path.js
 *   STORE_PATH_ONLY=pipe-put STORE_PATH_OPS=20000 node dist/bench/store-path.js
 *   STORE_PATH_ONLY=pipe-put STORE_PATH_DEPTH=16 node dist/bench/store-path.js    # smaller group commits
 *
 * `clients-get` and `clients-put` play the daemon's 16 connections: in each turn
 * of the event loop every caller makes one call from a callback of its own (as
 * each connection's read is one callback, with microtasks run after it).
 *
 * `log-read` reads the change log from its start in pages, as a peer's catch-up
 * does, going round again at its end; an operation is one entry read.
 */
const WORKLOADS = ['seq-get', 'pipe-get', 'clients-get', 'seq-put', 'pipe-put', 'clients-put', 'log-read'] as const;
type Workload = (typeof WORKLOADS)[number];

/** Operations per burst (per turn of the event loop, and so per group commit) in the pipelined workloads. */
const DEPTH = positive('STORE_PATH_DEPTH', 64);
/** Callers in the `clients-` workloads, each with one call a turn in a callback of its own. */
const CLIENTS = positive('STORE_PATH_CLIENTS', 16);
const PREFILL = 10_000;
/** Entries per read of the change log, as the mesh's outbound batches read it (daemon/mesh/outbound.ts). */
const LOG_PAGE = 1024;
/** Set in the copy that runs under valgrind: where callgrind writes its dumps. */
const CHILD_DIR = 'STORE_PATH_COUNT_DIR';

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer.`);
  return value;
}

/**
 * Records as the connection hands them to the store: each decoded just before its put, so the
 * decoder remembers the bytes it came in (it knows only its last message's, see rawBytesOf), and
 * the store writes those bytes as they are. The decode is counted with the put.
 * STORE_PATH_REENCODE=1 forgets the bytes, so the store encodes each record again (the remedy undone).
 */
function arrivingRecords(prefix: string, count: number): () => StoredRecord {
  const decoder = new Decoder(undefined, process.env['STORE_PATH_REENCODE'] === '1' ? new Set() : new Set([0]));
  const messages = Array.from({ length: count }, (_, index) => encode(record(key(prefix, index), index)));
  let next = 0;
  return () => decoder.decode(messages[next++]!) as StoredRecord;
}

/** Runs `call(i)` for i in [first, end), each from a callback of its own in one turn; resolves with their results. */
function eachInItsOwnCallback<T>(first: number, end: number, call: (i: number) => T): Promise<T[]> {
  return new Promise((resolve) => {
    const results: T[] = [];
    for (let i = first; i < end; i++) {
      setImmediate(() => {
        results.push(call(i));
        if (results.length === end - first) resolve(results);
      });
    }
  });
}

/** Builds the workload's inputs up front, so the timed part is the store's work alone. */
function prepare(store: Store, workload: Workload, ops: number, warmUp = false): () => Promise<void> {
  const burst = workload.startsWith('pipe') ? DEPTH : 1;
  if (workload === 'clients-get') {
    const keys = Array.from(readOrder(ops, PREFILL), (position) => key('pf', position));
    return async () => {
      for (let first = 0; first < ops; first += CLIENTS) {
        await eachInItsOwnCallback(first, Math.min(ops, first + CLIENTS), (i) => {
          if (store.get(TABLE, keys[i]!) === null) throw new Error(`${keys[i]} was prefilled but get found nothing`);
        });
      }
    };
  }
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
  // Each run writes keys of its own, so the timed puts are inserts of new keys like the warm-up's.
  const prefix = (warmUp ? 'w' : '') + (workload === 'seq-put' ? 's' : workload === 'pipe-put' ? 'p' : 'c');
  const arriving = arrivingRecords(prefix.padEnd(2, 'p'), ops);
  if (workload === 'clients-put') {
    return async () => {
      for (let first = 0; first < ops; first += CLIENTS) {
        await Promise.all(
          await eachInItsOwnCallback(first, Math.min(ops, first + CLIENTS), () => store.put(TABLE, arriving())),
        );
      }
    };
  }
  return async () => {
    for (let first = 0; first < ops; first += burst) {
      const writes: Promise<unknown>[] = [];
      for (let i = first; i < Math.min(ops, first + burst); i++) writes.push(store.put(TABLE, arriving()));
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

/** Runs the workloads; under callgrind (`countIn`, its dump directory) prints instructions instead of CPU. */
async function main(countIn: string | undefined): Promise<void> {
  const ops = positive('STORE_PATH_OPS', 64_000);
  const only = process.env['STORE_PATH_ONLY'];
  const home = mkdtempSync(join(tmpdir(), 'cortex-store-path-'));
  const db = openDatabase(home, 'normal', { node: 'bench-node' });
  try {
    const store = new Store(db, 'bench-node');
    // The daemon's mesh always listens to the log, links or none: so does this bench.
    store.onLog(() => {});
    store.createTable({ name: TABLE, attributes: ATTRIBUTES, owner: 'bench' });
    for (let first = 0; first < PREFILL; first += 1000) {
      const records = Array.from({ length: 1000 }, (_, i) => record(key('pf', first + i), first + i));
      await store.putMany(TABLE, records);
    }
    for (const workload of WORKLOADS) {
      if (only !== undefined && only !== workload) continue;
      if (countIn !== undefined) {
        await prepare(store, workload, ops, true)();
        const counter = new InstructionCounter(process.pid, countIn, true);
        const timed = prepare(store, workload, ops);
        await counter.start();
        await timed();
        const instructions = (await counter.stop()) / ops;
        console.log(
          `${workload.padEnd(8)} ${Math.round(instructions).toLocaleString('en-US').padStart(8)} instructions/op`,
        );
        continue;
      }
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

const countIn = process.env[CHILD_DIR];
if (process.env['STORE_PATH_CALLGRIND'] === '1' && countIn === undefined)
  process.exitCode = await rerunUnderCallgrind(import.meta.url, CHILD_DIR, {
    prefix: 'cortex-store-path-count-',
    mainThreadOnly: true,
  });
else await main(countIn);
