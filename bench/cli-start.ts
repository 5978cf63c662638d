import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CORTEX_BIN, median, startBenchDaemon } from './bench-daemon.js';
import { findProgram } from './programs.js';
import { stopProcess, waitForSocket } from './store-redis.js';

export interface StartupFigure {
  name: string;
  command: string[];
  /** Wall-clock time of the whole process, median of the runs, in ms. */
  medianMs: number;
  meanMs: number;
}

export interface CliStartResult {
  tool: string;
  runs: number;
  figures: StartupFigure[];
}

/**
 * `cortex get` as a whole process, as a script calls it: node starts, loads the
 * CLI, connects to the daemon, gets one record, prints it and exits. Beside it,
 * in the same run: `node -e 0` (node's own start-up, the floor a Node CLI cannot
 * go under) and `redis-cli GET` (a C client doing the same round trip). Timed by
 * hyperfine when it is installed (no shell, warm-up runs), else by a loop here
 * that runs the three in turn, so that a change in the machine's load hits each alike.
 */
export async function runCliStartBench(runs = Number(process.env['BENCH_CLI_RUNS'] ?? 60)): Promise<CliStartResult> {
  const daemon = await startBenchDaemon();
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-cli-'));
  const redisServer = findProgram('redis-server');
  const redisCli = findProgram('redis-cli');
  let redis: ReturnType<typeof spawn> | undefined;
  try {
    await daemon.client.call('create_table', { name: 'bench', attributes: ['id', 'name', 'n'] });
    await daemon.client.call('put', { table: 'bench', record: { id: 'k1', name: 'startup', n: 1 } });
    const commands: { name: string; command: string[] }[] = [
      { name: 'node -e 0', command: [process.execPath, '-e', '0'] },
      {
        name: 'cortex get',
        command: [process.execPath, CORTEX_BIN, '--socket', join(daemon.home, 'cortex.sock'), 'get', 'bench', 'k1'],
      },
    ];
    if (redisServer !== undefined && redisCli !== undefined) {
      const socket = join(dir, 'redis.sock');
      redis = spawn(
        redisServer,
        ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      await waitForSocket(socket, redis, 10_000);
      execFileSync(redisCli, ['-s', socket, 'SET', 'k1', '{"id":"k1","name":"startup","n":1}']);
      commands.push({ name: 'redis-cli GET', command: [redisCli, '-s', socket, 'GET', 'k1'] });
    }
    const hyperfine = findProgram('hyperfine');
    const figures = hyperfine ? withHyperfine(hyperfine, commands, runs, dir) : withLoop(commands, runs);
    return { tool: hyperfine ? 'hyperfine' : 'a loop of spawnSync (hyperfine is not installed)', runs, figures };
  } finally {
    if (redis) await stopProcess(redis);
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function withHyperfine(
  hyperfine: string,
  commands: { name: string; command: string[] }[],
  runs: number,
  dir: string,
): StartupFigure[] {
  const json = join(dir, 'hyperfine.json');
  execFileSync(
    hyperfine,
    ['-N', '--warmup', '5', '--runs', String(runs), '--export-json', json, ...commands.map((c) => c.command.join(' '))],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const { results } = JSON.parse(readFileSync(json, 'utf8')) as { results: { mean: number; median: number }[] };
  return commands.map((command, index) => ({
    ...command,
    medianMs: results[index]!.median * 1000,
    meanMs: results[index]!.mean * 1000,
  }));
}

function withLoop(commands: { name: string; command: string[] }[], runs: number): StartupFigure[] {
  const times = commands.map(() => [] as number[]);
  for (let run = -5; run < runs; run++) {
    commands.forEach(({ command: [program, ...args] }, index) => {
      const started = process.hrtime.bigint();
      const result = spawnSync(program!, args, { stdio: 'ignore' });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (result.status !== 0) throw new Error(`${[program, ...args].join(' ')} exited with ${result.status}`);
      if (run >= 0) times[index]!.push(ms);
    });
  }
  return commands.map((command, index) => ({
    ...command,
    medianMs: median(times[index]!),
    meanMs: times[index]!.reduce((sum, ms) => sum + ms, 0) / runs,
  }));
}

export function formatCliStart(result: CliStartResult): string {
  const cortex = result.figures.find((figure) => figure.name === 'cortex get')!;
  const rows = result.figures.map(
    (figure) =>
      `  ${figure.name.padEnd(14)} median ${figure.medianMs.toFixed(1).padStart(6)} ms, mean ${figure.meanMs.toFixed(1).padStart(6)} ms` +
      (figure === cortex ? '' : `; cortex get / this: ${(cortex.medianMs / figure.medianMs).toFixed(2)}x`),
  );
  return [
    `CLI start-up as a whole process (${result.runs} runs each, timed with ${result.tool}; target: cortex get at most 1.3x node -e 0)`,
    ...rows,
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCliStartBench().then(
    (result) => console.log(formatCliStart(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
