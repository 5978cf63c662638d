import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanup, startDaemon, tempDir } from '../test/helpers/daemon.js';
import { SessionWatch } from '../test/helpers/session-watch.js';
import { processCpuMicros } from './cpu.js';

const TURNS = Number(process.env['BENCH_TURNS'] ?? 100);
/** Files in the workspace, outside git as the other session benches have it: what each snapshot adds. */
const FILES = 50;

export interface TurnCost {
  turns: number;
  daemonCpuMsPerTurn: number;
  wallMsPerTurn: number;
}

/**
 * The daemon's own CPU per turn of the built-in `fake` provider saying one word: the turn's events and the
 * work around it (the snapshot of the workspace as the turn starts and ends, and the diff between them), with
 * no agent process to share the measure with. A turn through Codex pays the same work around it.
 */
export async function runTurnCostBench(): Promise<TurnCost> {
  const workspace = tempDir('cortex-bench-turn-cost-');
  for (let i = 0; i < FILES; i++) writeFileSync(join(workspace.path, `file-${i}.txt`), `file ${i}\n`);
  const daemon = await startDaemon();
  const client = await daemon.connect();
  try {
    const { workspace: ws } = await client.call('workspace_add', { path: workspace.path });
    const { session } = await client.call('session_start', { workspace: ws.id, provider: 'fake', prompt: '/say warm' });
    const watch = await SessionWatch.start(client, session.id);
    await watch.turnEnd(1);
    const pid = daemon.process.pid!;
    const cpuBefore = processCpuMicros(pid) ?? 0;
    const started = performance.now();
    for (let turn = 2; turn <= TURNS + 1; turn++) {
      await client.call('session_send', { session: session.id, prompt: '/say hello' });
      await watch.turnEnd(turn);
    }
    return {
      turns: TURNS,
      wallMsPerTurn: (performance.now() - started) / TURNS,
      daemonCpuMsPerTurn: ((processCpuMicros(pid) ?? 0) - cpuBefore) / 1000 / TURNS,
    };
  } finally {
    client.close();
    await cleanup(daemon);
    workspace.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cost = await runTurnCostBench();
  process.stdout.write(
    `${cost.turns} fake turns: daemon CPU ${cost.daemonCpuMsPerTurn.toFixed(2)} ms per turn, ` +
      `send → end ${cost.wallMsPerTurn.toFixed(1)} ms\n`,
  );
}
