import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { type MeshNode, TestMesh } from '../test/mesh/mesh-helpers.js';

export interface MeshBenchResult {
  /** Records written on a while b was unlinked, then sent to b from the change log when linked. */
  catchUp: Throughput;
  /** Records written on a as fast as it takes them, with b linked: writes and replication together. */
  live: Throughput;
  /** A write on a until it is readable on c, relayed through b (a — b — c), one write at a time. */
  convergence: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
  /**
   * One client's sequential puts (each awaited) on a node with a peer linked (a, to a replicated table),
   * against the same on a node with no link (c before it is linked, to a local table), in the same run.
   */
  sequentialPut: { puts: number; linkedPerSec: number; unlinkedPerSec: number };
}

export interface Throughput {
  records: number;
  seconds: number;
  recordsPerSec: number;
}

export interface MeshBenchOptions {
  /** Records per throughput run (BENCH_MESH_RECORDS, default 50000). */
  records?: number;
  /** Convergence samples (BENCH_MESH_SAMPLES, default 500). */
  samples?: number;
  /** Sequential puts per run (BENCH_MESH_SEQ_PUTS, default 10000). */
  sequentialPuts?: number;
}

const BATCH = 1000;

/** About 100 bytes of MessagePack, like the store benchmark's records. */
function record(prefix: string, n: number) {
  return { id: `${prefix}${String(n).padStart(9, '0')}`, name: 'x'.repeat(60), n };
}

/**
 * The mesh on loopback, with real daemons and real mutual TLS: replication
 * throughput a → b (records/s) and convergence latency a → c through b (p50/p99).
 */
export async function runMeshBench(options: MeshBenchOptions = {}): Promise<MeshBenchResult> {
  const records = options.records ?? Number(process.env['BENCH_MESH_RECORDS'] ?? 50_000);
  const samples = options.samples ?? Number(process.env['BENCH_MESH_SAMPLES'] ?? 500);
  const puts = options.sequentialPuts ?? Number(process.env['BENCH_MESH_SEQ_PUTS'] ?? 10_000);
  const mesh = new TestMesh();
  try {
    await mesh.init();
    // Production heartbeats; only redial quickly, so linking is not what is measured.
    const config = { mesh_heartbeat_ms: 2000, mesh_redial_max_ms: 400, mesh_gc_interval_ms: 60_000 };
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => mesh.start(name, { config })));
    // The anchor of the sequential puts: c has no link yet, and its table never leaves it.
    await c!.client.call('create_table', { name: 'alone', attributes: ['id', 'name', 'n'] });
    const unlinkedPerSec = await sequentialPuts(c!.client, 'alone', puts);

    // One table, made on a: b receives it with the first batch (tables made apart never merge).
    await a!.client.call('create_table', { name: 'bench', attributes: ['id', 'name', 'n'], replicate: 'mesh' });

    // Catch-up: the log on a holds `records` changes b has not seen; link and time until b has the last.
    await writeAll(a!.client, 'c', records);
    const started = performance.now();
    await a!.connect(b!);
    await readable(b!, record('c', records - 1).id);
    const catchUp = throughput(records, started);

    // Live: b is linked; a takes writes as fast as it can and b follows.
    const liveStart = performance.now();
    await writeAll(a!.client, 'l', records);
    await readable(b!, record('l', records - 1).id);
    const live = throughput(records, liveStart);

    // Convergence a → c through b: c has no link to a.
    await b!.connect(c!);
    await a!.client.call('create_table', { name: 'latency', attributes: ['id', 'n'], replicate: 'mesh' });
    await readableTable(c!, 'latency');
    await c!.client.call('subscribe', { topic: 'table:latency' });
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const id = `s${i}`;
      const arrived = arrival(c!.client, id);
      const start = performance.now();
      await a!.client.call('put', { table: 'latency', record: { id, n: i } });
      await arrived;
      latencies.push(performance.now() - start);
    }
    latencies.sort((x, y) => x - y);
    const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;

    // Sequential puts on a, linked with b (and through b with c): every one goes to both.
    await a!.client.call('create_table', { name: 'sequential', attributes: ['id', 'name', 'n'], replicate: 'mesh' });
    const linkedPerSec = await sequentialPuts(a!.client, 'sequential', puts);
    return {
      catchUp,
      live,
      convergence: { samples, p50Ms: round(at(50)), p99Ms: round(at(99)), maxMs: round(latencies.at(-1)!) },
      sequentialPut: { puts, linkedPerSec, unlinkedPerSec },
    };
  } finally {
    await mesh.cleanup();
  }
}

async function writeAll(client: Client, prefix: string, count: number): Promise<void> {
  const inFlight: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => record(prefix, start + i));
    inFlight.push(client.call('put_many', { table: 'bench', records: batch }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/** `count` puts, each awaited before the next, as a script writing one record at a time does: puts/s. */
async function sequentialPuts(client: Client, table: string, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await client.call('put', { table, record: record('q', i) });
  return Math.round(count / ((performance.now() - started) / 1000));
}

/** Changes arrive in log order, so the last record being readable means all of them are. */
async function readable(node: MeshNode, id: string): Promise<void> {
  await readableTable(node, 'bench');
  while ((await node.client.call('get', { table: 'bench', key: id })).record === null) await delay(2);
}

async function readableTable(node: MeshNode, table: string): Promise<void> {
  while (!(await node.client.call('tables', {})).tables.some((info) => info.name === table)) await delay(2);
}

function arrival(client: Client, key: string): Promise<void> {
  return new Promise((resolve) => {
    const off = client.onNotification('table_change', (change) => {
      if (change.key === key) {
        off();
        resolve();
      }
    });
  });
}

function throughput(records: number, startedMs: number): Throughput {
  const seconds = (performance.now() - startedMs) / 1000;
  return { records, seconds: round(seconds), recordsPerSec: Math.round(records / seconds) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function report(result: MeshBenchResult): string {
  const { catchUp, live, convergence, sequentialPut } = result;
  const ratio = (sequentialPut.linkedPerSec / sequentialPut.unlinkedPerSec).toFixed(2);
  return [
    'mesh on loopback (real daemons, mutual TLS)',
    `  replication a -> b, catch-up from the log: ${catchUp.recordsPerSec} records/s (${catchUp.records} in ${catchUp.seconds} s)`,
    `  replication a -> b, live with the writes:   ${live.recordsPerSec} records/s (${live.records} in ${live.seconds} s)`,
    `  convergence a -> c through b: p50 ${convergence.p50Ms} ms, p99 ${convergence.p99Ms} ms, max ${convergence.maxMs} ms (${convergence.samples} writes)`,
    `  sequential put on a, peers linked: ${sequentialPut.linkedPerSec} puts/s; on c, no link: ${sequentialPut.unlinkedPerSec} puts/s (${ratio}x, ${sequentialPut.puts} each)`,
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMeshBench().then(
    (result) => console.log(report(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
