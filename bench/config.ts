/**
 * Workload sizes, all overridable by environment so a quick smoke run
 * (BENCH_OPS=2000) and a careful one (BENCH_OPS=200000) use the same code.
 * The defaults keep a full run, anchors included, under about two minutes on
 * a 2-core machine.
 */
export interface BenchConfig {
  /** Operations per timed sequential workload (one client, one call at a time). */
  sequentialOps: number;
  /** Operations per timed pipelined or multi-client workload; these run much faster. */
  parallelOps: number;
  /** Keys written before any get workload, so every get is a hit. */
  prefillKeys: number;
  /** Requests kept in flight on one connection in the pipelined workloads. */
  depth: number;
  /** Connections in the multi-client workloads. */
  clients: number;
  /** Requests per redis-benchmark run (redis-benchmark's own `-n`). */
  redisOps: number;
  /** Untimed operations before each timed run, so the JIT and caches are warm. */
  warmupOps: number;
  /**
   * Passes over all suites. Each figure reported is the median pass, so a burst
   * of load from another process on the machine spoils one pass, not the result.
   */
  repeat: number;
  /** Longest wait, before each pass, for other processes to leave the CPUs alone (BENCH_QUIET_WAIT seconds). */
  quietWaitMs: number;
  /** Cortex workloads to run (BENCH_ONLY=seq-get,pipe-put); all when undefined. For profiling one at a time. */
  only: Set<string> | undefined;
  /** When set, the daemon runs under `--cpu-prof` and the bench prints its hot spots. */
  profile: boolean;
  /** When set, an extra pass counts the daemon's instructions per operation under callgrind. */
  callgrind: boolean;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, not ${JSON.stringify(raw)}.`);
  }
  return value;
}

export function loadConfig(): BenchConfig {
  // BENCH_OPS scales everything at once; the finer knobs override it.
  const ops = positiveInt('BENCH_OPS', 15_000);
  return {
    sequentialOps: positiveInt('BENCH_SEQ_OPS', ops),
    parallelOps: positiveInt('BENCH_PAR_OPS', ops * 6),
    prefillKeys: positiveInt('BENCH_KEYS', 10_000),
    depth: positiveInt('BENCH_DEPTH', 64),
    clients: positiveInt('BENCH_CLIENTS', 16),
    redisOps: positiveInt('BENCH_REDIS_OPS', 50_000),
    warmupOps: positiveInt('BENCH_WARMUP', 2_000),
    repeat: positiveInt('BENCH_REPEAT', 3),
    quietWaitMs: (process.env['BENCH_QUIET_WAIT'] === '0' ? 0 : positiveInt('BENCH_QUIET_WAIT', 10)) * 1000,
    only: process.env['BENCH_ONLY'] ? new Set(process.env['BENCH_ONLY'].split(',').map((id) => id.trim())) : undefined,
    profile: process.env['BENCH_PROFILE'] === '1',
    callgrind: process.env['BENCH_CALLGRIND'] === '1',
  };
}
