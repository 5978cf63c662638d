/** What one timed workload produced; latencies are absent where only throughput means anything. */
export interface Measurement {
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50Us?: number | undefined;
  p99Us?: number | undefined;
  /** CPU the server process used per operation (Cortex only: the daemon is a process we can watch). */
  serverCpuUsPerOp?: number | undefined;
  /** CPU the client side (this process) used per operation. */
  clientCpuUsPerOp?: number | undefined;
  /** Instructions the daemon ran per operation, in a pass under callgrind (BENCH_CALLGRIND=1). */
  serverInstructionsPerOp?: number | undefined;
}

/**
 * Collects per-operation latencies into a preallocated array, so recording
 * costs no allocation and does not disturb the loop it measures.
 * performance.now() rather than hrtime.bigint(): a double, so no heap
 * allocation per sample, and sub-microsecond resolution all the same.
 */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  /** `startMs` from `now()`; the sample is kept in microseconds. */
  record(startMs: number): void {
    if (this.count < this.samples.length) this.samples[this.count++] = (performance.now() - startMs) * 1000;
  }

  get size(): number {
    return this.count;
  }

  percentiles(): { p50Us: number; p99Us: number } | undefined {
    if (this.count === 0) return undefined;
    const sorted = this.samples.slice(0, this.count).sort();
    return { p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99) };
  }
}

/** Milliseconds, monotonic, fractional. */
export const now = (): number => performance.now();

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** `endMs` is taken by the caller as soon as the work is done, before anything else (sorting latencies) runs. */
export function measurement(ops: number, startMs: number, endMs: number, latencies?: LatencyRecorder): Measurement {
  const seconds = (endMs - startMs) / 1000;
  return { ops, seconds, opsPerSec: ops / seconds, ...latencies?.percentiles() };
}
