import type { BenchConfig } from './config.js';
import type { Measurement } from './stats.js';
import { CORTEX_WORKLOADS, type CortexResults } from './store-cortex.js';
import type { RedisResults } from './store-redis.js';
import type { SqliteResults } from './store-sqlite.js';
import { DASH, formatMicros, formatOps, formatRatio, renderTable } from './table.js';

interface Row {
  workload: string;
  cortex: Measurement | undefined;
  inProcess: Measurement | undefined;
  /** Which in-process figure stands for this row, since the in-process anchor has no sockets or clients. */
  inProcessMeans: string;
  redis: Measurement | undefined;
  redisMeans: string;
}

export interface Results {
  config: BenchConfig;
  cortex?: CortexResults | undefined;
  sqlite?: SqliteResults | undefined;
  redis?: RedisResults | undefined;
  /** Other processes' CPU during the pass, as a share of one core. */
  otherLoad?: number | undefined;
}

const ratio = (a: Measurement | undefined, b: Measurement | undefined) =>
  a && b ? a.opsPerSec / b.opsPerSec : undefined;

function rows({ config, cortex, sqlite, redis }: Results): Row[] {
  const r = redis?.available ? redis : undefined;
  const c = cortex?.measurements;
  const { depth, clients } = config;
  return [
    {
      workload: 'sequential get',
      cortex: c?.['seq-get'],
      inProcess: sqlite?.seqGet,
      inProcessMeans: 'one prepared SELECT per get',
      redis: r?.sequential.get,
      redisMeans: 'GET, -c 1',
    },
    {
      workload: 'sequential put',
      cortex: c?.['seq-put'],
      inProcess: sqlite?.seqPut,
      inProcessMeans: 'one autocommit INSERT per put',
      redis: r?.sequential.set,
      redisMeans: 'SET, -c 1',
    },
    {
      workload: `pipelined get (${depth} in flight)`,
      cortex: c?.['pipe-get'],
      inProcess: sqlite?.batchGet,
      inProcessMeans: `${depth} SELECTs per read transaction`,
      redis: r?.pipelined.get,
      redisMeans: `GET, -c 1 -P ${depth}`,
    },
    {
      workload: `pipelined put (${depth} in flight)`,
      cortex: c?.['pipe-put'],
      inProcess: sqlite?.batchPut,
      inProcessMeans: `${depth} INSERTs per transaction`,
      redis: r?.pipelined.set,
      redisMeans: `SET, -c 1 -P ${depth}`,
    },
    {
      workload: `${clients} clients get`,
      cortex: c?.['clients-get'],
      inProcess: sqlite?.seqGet,
      inProcessMeans: 'one prepared SELECT per get (one thread, like the daemon)',
      redis: r?.clients.get,
      redisMeans: `GET, -c ${clients}`,
    },
    {
      workload: `${clients} clients put`,
      cortex: c?.['clients-put'],
      inProcess: sqlite?.clientsPut,
      inProcessMeans: `${clients} INSERTs per transaction (one group commit per round)`,
      redis: r?.clients.set,
      redisMeans: `SET, -c ${clients}`,
    },
  ];
}

export function mainTable(results: Results): string {
  return renderTable(
    [
      'workload',
      'Cortex ops/s',
      'p50 µs',
      'p99 µs',
      'in-process ops/s',
      'Redis ops/s',
      'Cortex/Redis',
      'Cortex/in-process',
    ],
    rows(results).map((row) => [
      row.workload,
      formatOps(row.cortex?.opsPerSec),
      formatMicros(row.cortex?.p50Us),
      formatMicros(row.cortex?.p99Us),
      formatOps(row.inProcess?.opsPerSec),
      formatOps(row.redis?.opsPerSec),
      formatRatio(ratio(row.cortex, row.redis)),
      formatRatio(ratio(row.cortex, row.inProcess)),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** What each anchor figure is, and Redis's own latencies for comparison with Cortex's. */
export function anchorTable(results: Results): string {
  return renderTable(
    ['workload', 'in-process figure', 'Redis figure', 'Redis p50 µs', 'Redis p99 µs'],
    rows(results).map((row) => [
      row.workload,
      row.inProcessMeans,
      row.redisMeans,
      formatMicros(row.redis?.p50Us),
      formatMicros(row.redis?.p99Us),
    ]),
    ['left', 'left', 'left', 'right', 'right'],
  );
}

export interface Target {
  name: string;
  actual: string;
  met: boolean | undefined;
}

export function targets({ cortex, sqlite, redis }: Results): Target[] {
  const r = redis?.available ? redis : undefined;
  const c = cortex?.measurements;
  const against = (name: string, a: Measurement | undefined, b: Measurement | undefined, min: number): Target => {
    const value = ratio(a, b);
    return { name, actual: formatRatio(value), met: value === undefined ? undefined : value >= min };
  };
  const p99 = c?.['seq-get']?.p99Us;
  // Issue 17's targets, each a ratio from this run.
  return [
    against('pipelined get ≥ 0.4× in-process', c?.['pipe-get'], sqlite?.batchGet, 0.4),
    against('pipelined put ≥ 0.4× in-process batched put', c?.['pipe-put'], sqlite?.batchPut, 0.4),
    against('sequential get ≥ 0.75× Redis GET', c?.['seq-get'], r?.sequential.get, 0.75),
    against('sequential put ≥ 0.5× Redis SET', c?.['seq-put'], r?.sequential.set, 0.5),
    against('16 clients get ≥ 0.75× Redis', c?.['clients-get'], r?.clients.get, 0.75),
    against('16 clients put ≥ 0.75× Redis', c?.['clients-put'], r?.clients.set, 0.75),
    {
      name: 'p99 sequential get latency < 1 ms',
      actual: p99 === undefined ? DASH : `${formatMicros(p99)} µs`,
      met: p99 === undefined ? undefined : p99 < 1000,
    },
  ];
}

export function targetTable(results: Results): string {
  return renderTable(
    ['target', 'measured', 'met'],
    targets(results).map((target) => [
      target.name,
      target.actual,
      target.met === undefined ? 'not measured' : target.met ? 'yes' : 'NO',
    ]),
    ['left', 'right', 'left'],
  );
}

/**
 * Where the CPU went during each Cortex workload. A side whose busy share is
 * near 100% is the one that caps the throughput; on 2 cores the bench's client
 * and the daemon each have one.
 */
export function cpuTable(results: Results): string {
  const busy = (perOp: number | undefined, m: Measurement) =>
    perOp === undefined ? DASH : `${Math.round((perOp * m.opsPerSec) / 1e4)}%`;
  return renderTable(
    ['workload', 'daemon CPU µs/op', 'daemon busy', 'client CPU µs/op', 'client busy', 'redis-server CPU µs/op'],
    rows(results)
      .filter((row) => row.cortex !== undefined)
      .map((row) => {
        const m = row.cortex!;
        return [
          row.workload,
          formatMicros(m.serverCpuUsPerOp),
          busy(m.serverCpuUsPerOp, m),
          formatMicros(m.clientCpuUsPerOp),
          busy(m.clientCpuUsPerOp, m),
          formatMicros(row.redis?.serverCpuUsPerOp),
        ];
      }),
    ['left', 'right', 'right', 'right', 'right', 'right'],
  );
}

/** The daemon's instructions per operation from a callgrind pass: unmoved by other load on the machine. */
export function instructionTable(cortex: CortexResults): string {
  return renderTable(
    ['workload', 'daemon instructions/op'],
    CORTEX_WORKLOADS.flatMap((id) => {
      const perOp = cortex.measurements[id]?.serverInstructionsPerOp;
      return perOp === undefined ? [] : [[id, Math.round(perOp).toLocaleString('en-US')]];
    }),
    ['left', 'right'],
  );
}

function compact(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return DASH;
  return value >= 1000 ? `${(value / 1000).toFixed(value >= 100_000 ? 0 : 1)}k` : String(Math.round(value));
}

/** Every pass's throughput, so the spread behind each median is visible. */
export function passTable(passes: Results[]): string {
  const perPass = passes.map((pass) => rows(pass));
  const series = (pick: (row: Row) => Measurement | undefined, index: number) =>
    perPass.map((passRows) => compact(pick(passRows[index]!)?.opsPerSec)).join(' / ');
  return renderTable(
    ['workload', 'Cortex ops/s per pass', 'in-process ops/s per pass', 'Redis ops/s per pass'],
    perPass[0]!.map((row, index) => [
      row.workload,
      series((r) => r.cortex, index),
      series((r) => r.inProcess, index),
      series((r) => r.redis, index),
    ]),
    ['left', 'right', 'right', 'right'],
  );
}
