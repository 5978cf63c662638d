import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { choosePlacement, cpuList, pin } from './affinity.js';
import { Resources, wasInterrupted } from './cleanup.js';
import { loadConfig } from './config.js';
import { InterferenceMeter, waitForQuiet } from './cpu.js';
import { combine } from './aggregate.js';
import { summarizeProfile } from './profile.js';
import { anchorTable, cpuTable, instructionTable, mainTable, passTable, type Results, targetTable } from './report.js';
import { type CortexResults, runCortex } from './store-cortex.js';
import { runRedis } from './store-redis.js';
import { runSqlite } from './store-sqlite.js';
import { selectedExtras } from './extras.js';
import { renderTable } from './table.js';

type Suite = 'sqlite' | 'cortex' | 'redis';
const SUITES: Suite[] = ['sqlite', 'cortex', 'redis'];

/** BENCH_SUITES=cortex,redis runs a subset (the table shows — for the rest). */
function selectedSuites(): Set<Suite> {
  const raw = process.env['BENCH_SUITES'];
  if (raw === undefined || raw.trim() === '') return new Set(SUITES);
  const chosen = raw.split(',').map((name) => name.trim());
  for (const name of chosen) {
    if (!(SUITES as string[]).includes(name)) throw new Error(`BENCH_SUITES: unknown suite ${name}`);
  }
  return new Set(chosen as Suite[]);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const suites = selectedSuites();
  const began = Date.now();
  // Progress goes to stderr so that stdout is only the report.
  const progress = (line: string) => console.error(`[${((Date.now() - began) / 1000).toFixed(1)} s] ${line}`);
  progress(
    `ops: ${config.sequentialOps} sequential, ${config.parallelOps} pipelined/multi-client, ` +
      `${config.prefillKeys} prefilled keys, depth ${config.depth}, ${config.clients} clients, ` +
      `${config.redisOps} per redis-benchmark test`,
  );

  // Read before pinning: afterwards this process sees one CPU.
  const cores = availableParallelism();
  const placement = choosePlacement();
  const allCpus = cpuList(process.pid);
  // Children inherit this affinity; the servers are then moved to their own CPU.
  if (!pin(process.pid, placement.clientCpu)) placement.description += ' (FAILED to pin this process)';
  progress(`placement: ${placement.description}`);

  const resources = new Resources();
  const passes: Results[] = [];
  let profile: string | undefined;
  let counted: CortexResults | undefined;
  try {
    if (config.profile && suites.has('cortex')) {
      // A pass of its own: the profiler slows the daemon, so its figures must not reach the medians.
      progress('profiling pass (its figures are not reported)');
      profile = (await runCortex(config, placement, resources, progress)).profile;
    }
    if (config.callgrind && suites.has('cortex')) {
      progress('callgrind pass (instruction counts; its times are not reported)');
      counted = await runCortex({ ...config, profile: false }, placement, resources, progress);
    }
    const unprofiled = { ...config, profile: false, callgrind: false };
    for (let pass = 1; pass <= config.repeat; pass++) {
      const quiet = config.quietWaitMs > 0 ? await waitForQuiet(config.quietWaitMs) : undefined;
      if (quiet && quiet.waitedMs > 1000) {
        progress(
          `waited ${(quiet.waitedMs / 1000).toFixed(1)} s for other processes (now ${pct(quiet.load)} of a core)`,
        );
      }
      progress(`pass ${pass} of ${config.repeat}`);
      const meter = new InterferenceMeter();
      const results: Results = { config };
      // The in-process anchor first: it is quick and tells at once whether the disk is unusually slow.
      if (suites.has('sqlite')) results.sqlite = runSqlite(config, resources, progress);
      if (suites.has('cortex')) results.cortex = await runCortex(unprofiled, placement, resources, progress);
      if (suites.has('redis')) {
        results.redis = await runRedis(config, placement, resources, progress);
        if (!results.redis.available) suites.delete('redis');
      }
      results.otherLoad = meter.otherCoreShare();
      passes.push(results);
    }
  } finally {
    await resources.releaseAll();
    resources.dispose();
  }
  // The extras are whole systems of processes (a daemon, its provider, ten subscribers) measured as a
  // user's machine runs them: on every CPU, not squeezed onto the clients' one.
  if (placement.mode !== 'off' && allCpus !== undefined && !pin(process.pid, allCpus)) {
    progress(`the extras could not be unpinned (taskset refused ${allCpus}): they run on CPU ${placement.clientCpu}`);
  }
  const extras: string[] = [];
  for (const extra of selectedExtras()) {
    progress(`${extra.title}`);
    extras.push(await extra.run());
  }
  const results = combine(passes);
  // Averaged over the passes only: the quiet waits between them are exactly when others are busy.
  const loads = passes.flatMap((pass) => (pass.otherLoad === undefined ? [] : [pass.otherLoad]));
  const others = loads.length === 0 ? undefined : loads.reduce((sum, load) => sum + load, 0) / loads.length;

  const redis = results.redis;
  const lines = [
    '',
    `Cortex benchmark, ${new Date().toISOString()}`,
    `machine: ${cores} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, ` +
      `redis ${redis?.available ? redis.version : 'not measured'}`,
    `placement: ${placement.description}`,
    `code: ${revision()}`,
    '',
    mainTable(results),
    '',
    `Each figure is the median of ${passes.length} passes (the pass itself, with its latencies):`,
    '',
    passTable(passes),
    '',
    'Anchors:',
    '',
    anchorTable(results),
    '',
    'Cortex CPU per operation (daemon from /proc, client = this process):',
    '',
    cpuTable(results),
    '',
    'Targets:',
    '',
    targetTable(results),
  ];
  if (redis && !redis.available) lines.push('', `Redis column skipped: ${redis.reason}`);
  if (counted) lines.push('', 'Daemon instructions per operation (callgrind pass):', '', instructionTable(counted));
  if (profile) lines.push('', profileReport(profile));
  else if (config.profile) lines.push('', 'BENCH_PROFILE=1 but the daemon wrote no profile.');
  if (others !== undefined) {
    const perPass = passes.map((pass) => (pass.otherLoad === undefined ? '?' : pct(pass.otherLoad))).join(' / ');
    const share = `${pct(others)} of one core on average (per pass: ${perPass})`;
    lines.push(
      '',
      others > 0.1
        ? `WARNING: other processes used ${share} during the run; the figures are disturbed.`
        : `Other processes used ${share} during the run.`,
    );
  }
  for (const text of extras) lines.push('', text);
  lines.push('', `total time ${((Date.now() - began) / 1000).toFixed(1)} s`);
  console.log(lines.join('\n'));
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** Which code was measured: the commit, and whether the daemon's sources differed from it. */
function revision(): string {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: 'pipe' }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src', 'daemon', 'bin') !== '';
    return dirty ? `${commit} + uncommitted changes in src/, daemon/ or bin/` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function profileReport(text: string): string {
  const summary = summarizeProfile(text);
  const pct = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)}%` : '');
  return [
    `Daemon CPU profile (${summary.samples} busy samples; shares of busy time, idle excluded):`,
    '',
    renderTable(
      ['function (self time)', 'self', 'total'],
      summary.functions.map((spot) => [spot.name, pct(spot.selfPct), pct(spot.totalPct)]),
      ['left', 'right', 'right'],
    ),
    '',
    renderTable(
      ['project function (inclusive time)', 'total', 'self'],
      summary.inclusive.map((spot) => [spot.name, pct(spot.totalPct), pct(spot.selfPct)]),
      ['left', 'right', 'right'],
    ),
    '',
    renderTable(
      ['file (self time)', 'self'],
      summary.files.map((spot) => [spot.name, pct(spot.selfPct)]),
      ['left', 'right'],
    ),
  ].join('\n');
}

main().catch((error: unknown) => {
  if (wasInterrupted()) return;
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
