import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { type DaemonHandle, startDaemon } from '../test/helpers/daemon.js';
import { type Placement, pin } from './affinity.js';
import type { Resources } from './cleanup.js';
import { InstructionCounter, callgrindLauncher } from './callgrind.js';
import type { BenchConfig } from './config.js';
import { CpuMeter } from './cpu.js';
import { runLanes } from './lanes.js';
import { LatencyRecorder, type Measurement, measurement, now } from './stats.js';
import { ATTRIBUTES, TABLE, key, readOrder, record } from './workload.js';

export const CORTEX_WORKLOADS = ['seq-get', 'pipe-get', 'clients-get', 'seq-put', 'pipe-put', 'clients-put'] as const;
export type CortexWorkload = (typeof CORTEX_WORKLOADS)[number];

export interface CortexResults {
  /** Absent for a workload left out with BENCH_ONLY. */
  measurements: Partial<Record<CortexWorkload, Measurement>>;
  /** The daemon's CPU profile (a .cpuprofile file's text) when BENCH_PROFILE=1. */
  profile?: string | undefined;
}

type Operation = (client: Client, index: number) => Promise<unknown>;

/**
 * Cortex end to end: a real daemon process on a temporary home, reached over
 * its Unix socket with the project's own Client, exactly as the CLI reaches it.
 */
export async function runCortex(
  config: BenchConfig,
  placement: Placement,
  resources: Resources,
  progress: (line: string) => void,
): Promise<CortexResults> {
  const daemon = await startBenchDaemon(config, resources);
  if (daemon.handle.process.pid === undefined || !pin(daemon.handle.process.pid, placement.serverCpu)) {
    progress('could not pin the daemon; its figures may move between runs');
  }
  const clients: Client[] = [];
  try {
    for (let i = 0; i < Math.max(1, config.clients); i++) clients.push(await daemon.handle.connect());
    const main = clients[0]!;
    await main.call('create_table', { name: TABLE, attributes: ATTRIBUTES });
    await prefill(main, config.prefillKeys);

    // Keys to read are built up front, as for the in-process anchor, so the client's CPU is the Client's own.
    const keysAt = (positions: Uint32Array) => Array.from(positions, (position) => key('pf', position));
    const order = keysAt(readOrder(Math.max(config.sequentialOps, config.parallelOps), config.prefillKeys));
    const warmOrder = keysAt(readOrder(config.warmupOps, config.prefillKeys, 7));
    const get =
      (ids: string[]): Operation =>
      async (client, index) => {
        const id = ids[index]!;
        const answer = await client.call('get', { table: TABLE, key: id });
        // A miss would measure the wrong thing (an empty index probe), so it stops the bench.
        if (answer.record === null) throw new Error(`cortex: ${id} was prefilled but get found nothing`);
      };
    // Records to write are built up front too, each workload's just before it: the anchors build none in
    // JavaScript per call (redis-benchmark writes its commands in C, the in-process anchor stores one encoded
    // record), so building them in the timed loop charged the Client with the bench's own string work.
    const put = (prefix: string, count: number) => (): Operation => {
      const records = Array.from({ length: count }, (_, index) => record(key(prefix, index), index));
      return (client, index) => client.call('put', { table: TABLE, record: records[index]! });
    };
    const reads = (ids: string[]) => () => get(ids);

    // Warm-ups write under their own prefixes so the timed puts are always inserts of new keys.
    const { sequentialOps: seqOps, parallelOps: parOps, warmupOps: warmOps } = config;
    const specs: Record<
      CortexWorkload,
      { lanes: number; pool: Client[]; ops: number; timed: () => Operation; warm: () => Operation }
    > = {
      'seq-get': { lanes: 1, pool: [main], ops: seqOps, timed: reads(order), warm: reads(warmOrder) },
      'pipe-get': { lanes: config.depth, pool: [main], ops: parOps, timed: reads(order), warm: reads(warmOrder) },
      'clients-get': { lanes: clients.length, pool: clients, ops: parOps, timed: reads(order), warm: reads(warmOrder) },
      'seq-put': { lanes: 1, pool: [main], ops: seqOps, timed: put('sp', seqOps), warm: put('w1', warmOps) },
      'pipe-put': {
        lanes: config.depth,
        pool: [main],
        ops: parOps,
        timed: put('pp', parOps),
        warm: put('w2', warmOps),
      },
      'clients-put': {
        lanes: clients.length,
        pool: clients,
        ops: parOps,
        timed: put('cp', parOps),
        warm: put('w3', warmOps),
      },
    };

    // Only now, with start-up and prefill behind it, does the daemon's profiler start (profile-hook.ts).
    if (config.profile) daemon.handle.process.kill('SIGUSR2');
    const counter = config.callgrind
      ? new InstructionCounter(daemon.handle.process.pid!, daemon.callgrindDir, true)
      : undefined;
    const measurements: CortexResults['measurements'] = {};
    for (const id of CORTEX_WORKLOADS) {
      if (config.only && !config.only.has(id)) continue;
      const { lanes, pool, ops, timed, warm } = specs[id];
      const on = (operation: Operation) => (index: number, lane: number) => operation(pool[lane % pool.length]!, index);
      await runLanes(lanes, config.warmupOps, on(warm()));
      const operation = on(timed());
      const latencies = new LatencyRecorder(ops);
      await counter?.start();
      const cpu = new CpuMeter(daemon.handle.process.pid);
      const start = now();
      await runLanes(lanes, ops, operation, latencies);
      const end = now();
      const used = cpu.stop(ops);
      const instructions = await counter?.stop();
      const result = {
        ...measurement(ops, start, end, latencies),
        ...used,
        serverInstructionsPerOp: instructions === undefined ? undefined : instructions / ops,
      };
      progress(
        `cortex ${id}: ${Math.round(result.opsPerSec)} ops/s, CPU per op: daemon ${result.serverCpuUsPerOp?.toFixed(1) ?? '?'} µs, client ${result.clientCpuUsPerOp.toFixed(1)} µs` +
          (instructions === undefined ? '' : `, daemon instructions per op: ${Math.round(instructions / ops)}`),
      );
      measurements[id] = result;
    }

    for (const client of clients) client.close();
    clients.length = 0;
    const profile = config.profile ? await daemon.stopForProfile() : undefined;
    return { measurements, profile };
  } finally {
    for (const client of clients) client.close();
    await daemon.release();
  }
}

async function prefill(client: Client, keys: number): Promise<void> {
  const chunk = 1000;
  for (let first = 0; first < keys; first += chunk) {
    const records = [];
    for (let i = first; i < Math.min(keys, first + chunk); i++) records.push(record(key('pf', i), i));
    await client.call('put_many', { table: TABLE, records });
  }
}

interface BenchDaemon {
  handle: DaemonHandle;
  /** Where callgrind writes its dumps when BENCH_CALLGRIND=1. */
  callgrindDir: string;
  /** Stops the daemon cleanly (node writes the profile at exit) and returns the profile's text. */
  stopForProfile(): Promise<string | undefined>;
  release(): Promise<void>;
}

async function startBenchDaemon(config: BenchConfig, resources: Resources): Promise<BenchDaemon> {
  // The home is made here, not by startDaemon, so it is registered for removal before anything can fail.
  const home = mkdtempSync(join(tmpdir(), 'cortex-bench-'));
  const profileDir = join(home, 'profile');
  // Filled in once the daemon runs; the release functions close over it before that.
  const state: { handle?: DaemonHandle } = {};
  const release = resources.add(
    'cortex daemon',
    async () => {
      await state.handle?.kill();
      rmSync(home, { recursive: true, force: true });
    },
    () => {
      if (state.handle?.process.exitCode === null) state.handle.process.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    },
  );
  // node refuses --cpu-prof in NODE_OPTIONS, so a preloaded hook runs the profiler instead (see profile-hook.ts).
  const env: Record<string, string> = {};
  if (config.profile) {
    mkdirSync(profileDir);
    env['NODE_OPTIONS'] =
      `--import=${pathToFileURL(fileURLToPath(new URL('./profile-hook.js', import.meta.url))).href}`;
    env['CORTEX_BENCH_PROFILE_DIR'] = profileDir;
  }
  const callgrindDir = join(home, 'callgrind');
  if (config.callgrind) mkdirSync(callgrindDir);
  // The main thread only: V8's helper threads and the checkpoint thread (whose timers run on wall time,
  // which valgrind stretches ~50×) moved the counts of one build by up to 3× between runs.
  const launcher = config.callgrind ? callgrindLauncher(callgrindDir, { mainThreadOnly: true }) : undefined;
  // Under valgrind the counted window lasts minutes of wall time, and the mesh's sweep of the whole log
  // for tombstones (every minute, ~0.2 s of CPU per 100,000 rows) fell into it: up to 3x a put's count.
  // The put journal's commit interval is stretched as valgrind stretches time (~50x), so that a commit
  // carries as many puts as it does at full speed: at 10 ms, nearly every counted put was its own commit.
  const started = await startDaemon({
    home,
    env,
    ...(launcher && { launcher, config: { mesh_gc_interval_ms: 24 * 3600 * 1000, commit_interval_ms: 500 } }),
  });
  state.handle = started;
  return {
    handle: started,
    callgrindDir,
    release,
    async stopForProfile() {
      await started.stop();
      let files: string[];
      try {
        files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
      } catch {
        return undefined;
      }
      return files.length > 0 ? readFileSync(join(profileDir, files[0]!), 'utf8') : undefined;
    },
  };
}
