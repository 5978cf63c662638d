import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { type DaemonHandle, startDaemon } from '../test/helpers/daemon.js';
import { InstructionCounter, rerunUnderCallgrind } from './callgrind.js';
import { runLanes } from './lanes.js';
import { LatencyRecorder } from './stats.js';
import { renderTable } from './table.js';
import { ATTRIBUTES, TABLE, key, readOrder, record } from './workload.js';

/**
 * The client's own cost per call, in main-thread instructions under callgrind (unmoved by the load of a
 * shared machine): a real daemon (not counted) on a temporary home, and in this process the bench's
 * `Client`s and loop (`runLanes`, with each call's latency recorded) doing the Cortex suite's gets and puts,
 * sequential, 64 in flight on one connection, and 16 connections with one call in flight each.
 *
 *   node dist/bench/client-count.js
 *
 * It runs itself again under valgrind. Each workload is warmed up first, so the JIT has settled, then
 * counted in WINDOWS windows; CLIENT_COUNT_OPS scales the operations counted (default 1), and
 * CLIENT_COUNT_ONLY (workload names, comma-separated: `sequential get,sequential put`) counts only those.
 */
const PREFILL_KEYS = 2000;
const WARM_OPS = 8000;
const SEQUENTIAL_OPS = 1500;
const PARALLEL_OPS = 6000;
const DEPTH = 64;
const CLIENTS = 16;
const WINDOWS = 2;
/** Set in the copy that runs under valgrind: where callgrind writes its dumps. */
const CHILD_DIR = 'BENCH_CLIENT_COUNT_DIR';

type Operation = (client: Client, index: number) => Promise<unknown>;

interface Workload {
  name: string;
  lanes: number;
  pool: 'main' | 'all';
  ops: number;
  /** The operations of one window (or warm-up) of `count` calls, built before it is counted. */
  operation: (prefix: string, count: number) => Operation;
}

const get =
  (keys: string[]): Operation =>
  async (client, index) => {
    const answer = await client.call('get', { table: TABLE, key: keys[index % keys.length]! });
    if (answer.record === null) throw new Error('a prefilled key was not found');
  };

/** Records built up front, as the bench builds them (store-cortex.ts): the client's count is the Client's own. */
const put = (prefix: string, count: number): Operation => {
  const records = Array.from({ length: count }, (_, index) => record(key(prefix, index), index));
  return (client, index) => client.call('put', { table: TABLE, record: records[index]! });
};

function workloads(scale: number, keys: string[]): Workload[] {
  const reads = () => get(keys);
  return [
    { name: 'sequential get', lanes: 1, pool: 'main', ops: SEQUENTIAL_OPS * scale, operation: reads },
    { name: 'pipelined get', lanes: DEPTH, pool: 'main', ops: PARALLEL_OPS * scale, operation: reads },
    { name: '16 clients get', lanes: CLIENTS, pool: 'all', ops: PARALLEL_OPS * scale, operation: reads },
    { name: 'sequential put', lanes: 1, pool: 'main', ops: SEQUENTIAL_OPS * scale, operation: put },
    { name: 'pipelined put', lanes: DEPTH, pool: 'main', ops: PARALLEL_OPS * scale, operation: put },
    { name: '16 clients put', lanes: CLIENTS, pool: 'all', ops: PARALLEL_OPS * scale, operation: put },
  ];
}

/** Instructions per operation of `workload`, one count per window, each window's puts under their own keys. */
async function countWorkload(
  counter: InstructionCounter,
  clients: Client[],
  workload: Workload,
  tag: string,
): Promise<number[]> {
  const pool = workload.pool === 'main' ? clients.slice(0, 1) : clients;
  const on = (operation: Operation) => (index: number, lane: number) => operation(pool[lane % pool.length]!, index);
  // Two-letter prefixes, as the bench's: records of the same size.
  await runLanes(workload.lanes, WARM_OPS, on(workload.operation(`w${tag}`, WARM_OPS)));
  const counts: number[] = [];
  for (let window = 0; window < WINDOWS; window++) {
    const latencies = new LatencyRecorder(workload.ops);
    const operation = on(workload.operation(`${window}${tag}`, workload.ops));
    await counter.start();
    await runLanes(workload.lanes, workload.ops, operation, latencies);
    counts.push((await counter.stop()) / workload.ops);
  }
  return counts;
}

/** Under valgrind: starts the daemon, counts every workload and prints the table. */
async function countAll(dir: string): Promise<string> {
  const scale = Number(process.env['CLIENT_COUNT_OPS'] ?? '1');
  const only = process.env['CLIENT_COUNT_ONLY']?.split(',').map((name) => name.trim());
  const counter = new InstructionCounter(process.pid, dir, true);
  let daemon: DaemonHandle | undefined;
  const clients: Client[] = [];
  try {
    daemon = await startDaemon({ config: { mesh_gc_interval_ms: 24 * 3600 * 1000 } });
    for (let i = 0; i < CLIENTS; i++) clients.push(await daemon.connect());
    const main = clients[0]!;
    await main.call('create_table', { name: TABLE, attributes: ATTRIBUTES });
    const records = Array.from({ length: PREFILL_KEYS }, (_, i) => record(key('pf', i), i));
    await main.call('put_many', { table: TABLE, records });
    const keys = Array.from(readOrder(WARM_OPS, PREFILL_KEYS), (position) => key('pf', position));
    const rows: string[][] = [];
    for (const [index, workload] of workloads(scale, keys).entries()) {
      if (only !== undefined && !only.includes(workload.name)) continue;
      const counts = await countWorkload(counter, clients, workload, String.fromCharCode(97 + index));
      rows.push([workload.name, String(workload.ops), counts.map(round).join(' / ')]);
    }
    const table = renderTable(['workload', 'operations', 'client instructions per operation (windows)'], rows, [
      'left',
      'right',
      'right',
    ]);
    return ["The client process's main thread per call (callgrind; the daemon is not counted)", '', table].join('\n');
  } finally {
    for (const client of clients) client.close();
    if (daemon !== undefined) {
      await daemon.kill();
      rmSync(daemon.home, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    }
  }
}

function round(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.env[CHILD_DIR];
  if (dir === undefined) {
    process.exitCode = await rerunUnderCallgrind(import.meta.url, CHILD_DIR, {
      prefix: 'cortex-client-count-',
      mainThreadOnly: true,
    });
  } else console.log(await countAll(dir));
}
