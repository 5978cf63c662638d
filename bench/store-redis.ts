import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Placement, pin } from './affinity.js';
import type { Resources } from './cleanup.js';
import type { BenchConfig } from './config.js';
import { CpuMeter } from './cpu.js';
import { isExecutable } from '../daemon/executable.js';
import { findProgram } from './programs.js';
import type { Measurement } from './stats.js';
import { RECORD_BYTES } from './workload.js';

const run = promisify(execFile);

export interface RedisRun {
  get: Measurement;
  set: Measurement;
}

export type RedisResults =
  | { available: true; version: string; sequential: RedisRun; pipelined: RedisRun; clients: RedisRun }
  | { available: false; reason: string };

/**
 * The network anchor: a stock redis-server on a Unix socket, no persistence,
 * driven by redis-benchmark (a C client, so its client side costs less CPU than
 * any Node client would). It is the reference for what a good single-threaded
 * server on a Unix socket does on this machine. The bench never installs it.
 */
export async function runRedis(
  config: BenchConfig,
  placement: Placement,
  resources: Resources,
  progress: (line: string) => void,
): Promise<RedisResults> {
  // BENCH_REDIS_SERVER / BENCH_REDIS_BENCHMARK point at other builds (or at nothing, to test the skip).
  const server = programFromEnv('BENCH_REDIS_SERVER') ?? findProgram('redis-server');
  const bench = programFromEnv('BENCH_REDIS_BENCHMARK') ?? findProgram('redis-benchmark');
  if (!server || !bench) {
    const missing = server ? 'redis-benchmark' : 'redis-server';
    return {
      available: false,
      reason: `${missing} is missing; install it with \`sudo apt-get install redis-server\` (Debian/Ubuntu) to get the Redis column.`,
    };
  }
  const version = (await run(server, ['--version'])).stdout.match(/v=(\S+)/)?.[1] ?? 'unknown';
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-redis-'));
  const socket = join(dir, 'redis.sock');
  let child: ChildProcess | undefined;
  const release = resources.add(
    'redis-server',
    async () => {
      if (child) await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
    () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  );
  try {
    child = spawn(
      server,
      ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    if (child.pid === undefined || !pin(child.pid, placement.serverCpu)) {
      progress('could not pin redis-server; its figures may move between runs');
    }
    await waitForSocket(socket, child, 10_000);

    // -r spreads keys over the same keyspace size as the prefill of the other stores; -d matches the record size.
    const common = ['-s', socket, '-t', 'get,set', '-n', String(config.redisOps), '-d', String(RECORD_BYTES)];
    const keyspace = ['-r', String(config.prefillKeys)];
    const pid = child.pid;
    const once = async (name: string, extra: string[]): Promise<RedisRun> => {
      const cpu = new CpuMeter(pid);
      const { stdout } = await run(bench, [...common, ...keyspace, ...extra, '-q', '--csv'], {
        maxBuffer: 1 << 20,
      });
      const rows = parseCsv(stdout);
      const get = rows.get('GET');
      const set = rows.get('SET');
      if (!get || !set) throw new Error(`redis-benchmark printed no GET/SET rows:\n${stdout}`);
      // One figure for both tests (they run back to back in one redis-benchmark): close enough to compare.
      const { serverCpuUsPerOp } = cpu.stop(2 * config.redisOps);
      get.serverCpuUsPerOp = serverCpuUsPerOp;
      set.serverCpuUsPerOp = serverCpuUsPerOp;
      progress(`redis ${name}: GET ${Math.round(get.opsPerSec)} ops/s, SET ${Math.round(set.opsPerSec)} ops/s`);
      return { get, set };
    };
    return {
      available: true,
      version,
      sequential: await once('sequential', ['-c', '1']),
      pipelined: await once(`pipelined ${config.depth}`, ['-c', '1', '-P', String(config.depth)]),
      clients: await once(`${config.clients} clients`, ['-c', String(config.clients)]),
    };
  } finally {
    await release();
  }
}

/** undefined when the variable is unset; '' (never executable) when it names a missing program. */
function programFromEnv(name: string): string | undefined {
  const path = process.env[name];
  if (path === undefined || path === '') return undefined;
  return isExecutable(path) ? path : '';
}

/**
 * redis-benchmark 7's --csv prints a header row and one row per test:
 * "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms".
 * Older versions print only "test","rps"; latency then stays undefined.
 */
export function parseCsv(text: string): Map<string, Measurement> {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const cells = (line: string) => line.split(',').map((cell) => cell.replace(/^"|"$/g, ''));
  const header = lines[0] && lines[0].startsWith('"test"') ? cells(lines[0]) : ['test', 'rps'];
  const column = (name: string) => header.indexOf(name);
  const out = new Map<string, Measurement>();
  for (const line of lines) {
    const row = cells(line);
    if (row[0] === 'test') continue;
    const number = (name: string): number | undefined => {
      const at = column(name);
      const value = at >= 0 ? Number(row[at]) : Number.NaN;
      return Number.isFinite(value) ? value : undefined;
    };
    const rps = number('rps');
    if (row[0] === undefined || rps === undefined) continue;
    const ms = (name: string) => {
      const value = number(name);
      return value === undefined ? undefined : value * 1000;
    };
    out.set(row[0], {
      ops: Number.NaN,
      seconds: Number.NaN,
      opsPerSec: rps,
      p50Us: ms('p50_latency_ms'),
      p99Us: ms('p99_latency_ms'),
    });
  }
  return out;
}

/** Resolves once the socket accepts a connection; polling, since redis has no readiness signal on a pipe we keep. */
export async function waitForSocket(path: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited before listening: ${stderr}`);
    }
    if (await accepts(path)) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${path} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** SIGTERM, then SIGKILL if it has not exited within two seconds. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
