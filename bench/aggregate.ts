import type { Results } from './report.js';
import type { Measurement } from './stats.js';
import type { RedisResults, RedisRun } from './store-redis.js';
import type { SqliteResults } from './store-sqlite.js';

/**
 * The pass with the median throughput, kept whole (its latencies and CPU
 * figures belong to the same pass). With an even count the lower middle wins:
 * no figure is ever better than one that was actually measured.
 */
export function median(passes: Measurement[]): Measurement | undefined {
  if (passes.length === 0) return undefined;
  const sorted = [...passes].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Applies `median` field by field to records of measurements with the same keys. */
export function medianRecord<K extends string>(
  passes: Partial<Record<K, Measurement>>[],
): Partial<Record<K, Measurement>> {
  const out: Partial<Record<K, Measurement>> = {};
  const keys = new Set(passes.flatMap((pass) => Object.keys(pass) as K[]));
  for (const key of keys) {
    const value = median(passes.flatMap((pass) => (pass[key] ? [pass[key]] : [])));
    if (value) out[key] = value;
  }
  return out;
}

/** Every suite's figures from several passes, reduced to the median pass of each workload. */
export function combine(passes: Results[]): Results {
  const first = passes[0]!;
  const sqlite = passes.flatMap((pass) => (pass.sqlite ? [pass.sqlite] : []));
  const cortex = passes.flatMap((pass) => (pass.cortex ? [pass.cortex] : []));
  const redis = passes.flatMap((pass) => (pass.redis ? [pass.redis] : []));
  const out: Results = { config: first.config };
  if (sqlite.length > 0) out.sqlite = medianRecord<keyof SqliteResults>(sqlite) as SqliteResults;
  if (cortex.length > 0) {
    out.cortex = { measurements: medianRecord(cortex.map((pass) => pass.measurements)) };
  }
  const missing = redis.find((pass) => !pass.available);
  if (missing) out.redis = missing;
  else if (redis.length > 0) {
    const runs = redis as Extract<RedisResults, { available: true }>[];
    const pick = (which: 'sequential' | 'pipelined' | 'clients') =>
      medianRecord<keyof RedisRun>(runs.map((pass) => pass[which])) as RedisRun;
    out.redis = {
      available: true,
      version: runs[0]!.version,
      sequential: pick('sequential'),
      pipelined: pick('pipelined'),
      clients: pick('clients'),
    };
  }
  return out;
}
