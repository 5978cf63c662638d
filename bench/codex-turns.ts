import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import type { ProviderName } from '../src/protocol/runtime-types.js';
import type { SessionEvent } from '../src/protocol/session-events.js';
import { MockModelServer } from '../test/fixtures/mock-model-server.js';
import { cleanup, startDaemon, tempDir } from '../test/helpers/daemon.js';
import { processesMatching } from '../test/helpers/processes.js';
import { processCpuMicros } from './cpu.js';

/**
 * Codex turns through the app-server (`codex`) beside `codex exec` (`codex-exec`), in one run against the
 * same mock model: for each provider, a daemon, a session, a first (cold) turn, then TURNS turns of one
 * short reply each. Per turn: the time from `session_send` to the first event of the turn (turn_started,
 * written by the daemon), to the first event from Codex, and to the turn's end; the CPU the daemon used,
 * and the CPU Codex used (the app-server's processes read from /proc; `codex exec`, which exits each turn,
 * from the daemon's reaped children).
 */
export interface ProviderTurns {
  provider: ProviderName;
  turns: number;
  coldEndMs: number;
  firstEventMs: number[];
  firstCodexEventMs: number[];
  endMs: number[];
  daemonCpuMsPerTurn: number;
  codexCpuMsPerTurn: number;
}

const TURNS = Number(process.env['BENCH_CODEX_TURNS'] ?? 20);
const TICKS_PER_SECOND = 100;

/** CPU of the daemon's children that exited and were reaped (cutime + cstime), in µs. */
function reapedChildrenCpuMicros(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1e6) / TICKS_PER_SECOND;
}

/** The app-server's own processes (the npm launcher and Codex): they name the mock's port. */
function appServerCpuMicros(port: number): number {
  return processesMatching(`127.0.0.1:${port}`).reduce((sum, found) => sum + (processCpuMicros(found.pid) ?? 0), 0);
}

async function oneTurn(client: Client, session: string, mock: MockModelServer, turn: number) {
  mock.enqueue({ kind: 'message', text: `reply ${turn}` });
  const seen: { type: string; at: number }[] = [];
  let ended: () => void = () => undefined;
  const end = new Promise<void>((resolve) => (ended = resolve));
  const off = client.onNotification((method, params) => {
    const event = params as unknown as SessionEvent;
    if (method !== 'event' || event.session !== session || event.turn !== turn) return;
    seen.push({ type: event.type, at: performance.now() });
    if (event.type === 'turn_completed' || event.type === 'turn_failed' || event.type === 'turn_interrupted') ended();
  });
  const sent = performance.now();
  await client.call('session_send', { session, prompt: `turn ${turn}` });
  await end;
  off();
  const last = seen.at(-1)!;
  if (last.type !== 'turn_completed') throw new Error(`turn ${turn} ended with ${last.type}`);
  const codex = seen.find((event) => event.type !== 'turn_started')!;
  return { firstEvent: seen[0]!.at - sent, firstCodexEvent: codex.at - sent, end: last.at - sent };
}

async function runProvider(provider: ProviderName, mock: MockModelServer): Promise<ProviderTurns> {
  const workspace = tempDir('cortex-bench-codex-ws-');
  const codexHome = tempDir('cortex-bench-codex-home-');
  const daemon = await startDaemon({
    env: { CORTEX_CODEX_ARGS: JSON.stringify(mock.codexArgs()), CODEX_HOME: codexHome.path },
  });
  const client = await daemon.connect();
  try {
    const { workspace: ws } = await client.call('workspace_add', { path: workspace.path });
    const { session } = await client.call('session_start', { workspace: ws.id, provider });
    await client.call('subscribe', { topic: `session:${session.id}` });
    const cold = await oneTurn(client, session.id, mock, 1);
    const pid = daemon.process.pid!;
    const daemonBefore = processCpuMicros(pid) ?? 0;
    const codexBefore = provider === 'codex' ? appServerCpuMicros(mock.port) : reapedChildrenCpuMicros(pid);
    const samples = [];
    for (let turn = 2; turn <= TURNS + 1; turn++) samples.push(await oneTurn(client, session.id, mock, turn));
    const daemonCpu = (processCpuMicros(pid) ?? 0) - daemonBefore;
    const codexCpu =
      (provider === 'codex' ? appServerCpuMicros(mock.port) : reapedChildrenCpuMicros(pid)) - codexBefore;
    return {
      provider,
      turns: TURNS,
      coldEndMs: cold.end,
      firstEventMs: samples.map((sample) => sample.firstEvent),
      firstCodexEventMs: samples.map((sample) => sample.firstCodexEvent),
      endMs: samples.map((sample) => sample.end),
      daemonCpuMsPerTurn: daemonCpu / 1000 / TURNS,
      codexCpuMsPerTurn: codexCpu / 1000 / TURNS,
    };
  } finally {
    client.close();
    await cleanup(daemon);
    workspace.remove();
    codexHome.remove();
  }
}

export async function runCodexTurnsBench(): Promise<ProviderTurns[]> {
  const mock = await MockModelServer.start();
  try {
    return [await runProvider('codex', mock), await runProvider('codex-exec', mock)];
  } finally {
    await mock.close();
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export function formatCodexTurns(results: ProviderTurns[]): string {
  const [app, exec] = results as [ProviderTurns, ProviderTurns];
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const row = (what: string, a: number, b: number) =>
    `  ${what.padEnd(40)} ${ms(a).padStart(11)} ${ms(b).padStart(11)} ${(a / b).toFixed(2).padStart(7)}×`;
  return [
    `Codex turns against the mock model, ${app.turns} warm turns each (median; p90 in brackets where shown)`,
    `  ${''.padEnd(40)} ${'app-server'.padStart(11)} ${'exec'.padStart(11)} ${'ratio'.padStart(8)}`,
    row('send → first event (turn_started)', quantile(app.firstEventMs, 0.5), quantile(exec.firstEventMs, 0.5)),
    row('send → first event, p90', quantile(app.firstEventMs, 0.9), quantile(exec.firstEventMs, 0.9)),
    row('send → first event from Codex', quantile(app.firstCodexEventMs, 0.5), quantile(exec.firstCodexEventMs, 0.5)),
    row('send → turn end', quantile(app.endMs, 0.5), quantile(exec.endMs, 0.5)),
    row('send → turn end, p90', quantile(app.endMs, 0.9), quantile(exec.endMs, 0.9)),
    row('daemon CPU per turn', app.daemonCpuMsPerTurn, exec.daemonCpuMsPerTurn),
    row('Codex CPU per turn', app.codexCpuMsPerTurn, exec.codexCpuMsPerTurn),
    row('first turn of a session, send → end', app.coldEndMs, exec.coldEndMs),
    `  goal: first event within 50 ms of the send on the app-server path: ${
      quantile(app.firstEventMs, 0.5) <= 50 ? 'met' : 'missed'
    } (p50 ${ms(quantile(app.firstEventMs, 0.5))})`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${formatCodexTurns(await runCodexTurnsBench())}\n`);
}
