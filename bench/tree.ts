import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '../src/client/client.js';
import type { SessionEvent } from '../src/protocol/session-events.js';
import { runCortex } from '../test/helpers/cli.js';
import { type MeshNode, TestMesh } from '../test/mesh/mesh-helpers.js';
import { mapRoots, reaches } from '../test/tree/tree-helpers.js';
import { median, mib } from './bench-daemon.js';

/**
 * One tree across nodes, on loopback with real daemons and mutual TLS in a line
 * a — b — c: everything remote is measured beside the same thing done locally
 * on c, in the same run. Session events (latency from the event's time to its
 * arrival, and throughput), a terminal's `cat` of a file, a listing of 1,000
 * sessions across the three nodes, and a small call one at a time.
 */
export interface TreeBenchResult {
  events: { count: number; local: EventFigures; remote: EventFigures };
  terminal: { bytes: number; local: number; remote: number | string };
  listing: { sessions: number; callMs: number; cliMs: number };
  /** A small call (workspace_list of c), one at a time: ms each, made on c and from a (through b, signed by a). */
  calls: { count: number; localMs: number; remoteMs: number };
}

interface EventFigures {
  p50Ms: number;
  p99Ms: number;
  perSec: number;
}

const RUNS = 3;
const MARKER = '4242-cat-done';

export async function runTreeBench(): Promise<TreeBenchResult> {
  const events = Number(process.env['BENCH_TREE_EVENTS'] ?? 5000);
  const bytes = Number(process.env['BENCH_TREE_BYTES'] ?? 50 * 1024 * 1024);
  const sessions = Number(process.env['BENCH_TREE_SESSIONS'] ?? 1000);
  const mesh = new TestMesh();
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-tree-'));
  try {
    await mesh.init();
    const config = { mesh_heartbeat_ms: 2000, mesh_redial_max_ms: 400 };
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => mesh.start(name, { config })));
    await mapRoots([a!, b!, c!]);
    await a!.connect(b!);
    await b!.connect(c!);
    await reaches(a!, 'c');
    execFileSync('git', ['init', '-q', dir]);
    const workspace = (await c!.client.call('workspace_add', { path: dir })).workspace.id;
    const file = join(dir, 'big.txt');
    const line = `${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(2)}${' '.repeat(7)}\n`;
    writeFileSync(file, line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes));

    const local: EventFigures[] = [];
    const remote: EventFigures[] = [];
    const termLocal: number[] = [];
    const termRemote: number[] = [];
    let dropped: string | undefined;
    for (let run = 0; run < RUNS; run++) {
      local.push(await eventRun(c!.client, c!.client, workspace, events));
      remote.push(await eventRun(c!.client, a!.client, workspace, events));
      termLocal.push(bytes / (await catRun(c!.client, workspace, file)));
      try {
        termRemote.push(bytes / (await catRun(a!.client, workspace, file)));
      } catch (error) {
        dropped = error instanceof Error ? error.message : String(error);
      }
    }
    const listing = await listingRun([a!, b!, c!], sessions, dir);
    const count = Number(process.env['BENCH_TREE_CALLS'] ?? 2000);
    const calls = { count, localMs: await callRun(c!.client, count), remoteMs: await callRun(a!.client, count) };
    const pick = (figures: EventFigures[]): EventFigures => ({
      p50Ms: median(figures.map((figure) => figure.p50Ms)),
      p99Ms: median(figures.map((figure) => figure.p99Ms)),
      perSec: median(figures.map((figure) => figure.perSec)),
    });
    return {
      events: { count: events, local: pick(local), remote: pick(remote) },
      terminal: {
        bytes,
        local: median(termLocal),
        remote: termRemote.length > 0 ? median(termRemote) : `dropped: ${dropped}`,
      },
      listing,
      calls,
    };
  } finally {
    await mesh.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A turn of `count` events on c, followed by `viewer` (c's own client, or a's). */
async function eventRun(owner: Client, viewer: Client, workspace: string, count: number): Promise<EventFigures> {
  const { session } = await owner.call('session_start', { workspace, provider: 'fake' });
  const delays: number[] = [];
  let first = 0;
  let last = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const off = viewer.onNotification('event', (event: SessionEvent) => {
    if (event.session !== session.id) return;
    const now = Date.now();
    if (event.type === 'agent_message') {
      if (first === 0) first = now;
      last = now;
      delays.push(now - event.time);
    }
    if (event.type === 'turn_completed') done();
  });
  await viewer.call('subscribe', { topic: `session:${session.id}` });
  await owner.call('session_send', { session: session.id, prompt: `/stream ${count}` });
  await finished;
  off();
  await owner.call('session_stop', { session: session.id });
  delays.sort((x, y) => x - y);
  return {
    p50Ms: delays[Math.floor(delays.length * 0.5)]!,
    p99Ms: delays[Math.floor(delays.length * 0.99)]!,
    perSec: delays.length / Math.max(0.001, (last - first) / 1000),
  };
}

/** Seconds for `cat` of the file in a terminal of c, to an attached client of `viewer`'s node. */
async function catRun(viewer: Client, workspace: string, file: string): Promise<number> {
  const { id } = await viewer.call('term_open', { workspace, command: ['sh'], cols: 200, rows: 50 });
  try {
    let tail = '';
    let done: (error?: Error) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => (done = (error) => (error ? reject(error) : resolve())));
    const off = viewer.onNotification((method, params) => {
      const output = params as { id?: string; data?: Uint8Array; reason?: string };
      if (output.id !== id) return;
      if (method === 'term_dropped') done(new Error(output.reason ?? 'dropped'));
      if (method !== 'term_output' || output.data === undefined) return;
      tail = (tail + Buffer.from(output.data.subarray(-64)).toString('latin1')).slice(-64);
      if (tail.includes(MARKER)) done();
    });
    await viewer.call('term_attach', { id, scrollback: 0 });
    const start = process.hrtime.bigint();
    await viewer.call('term_write', { id, data: `cat ${file}; echo $((4000+242))-cat-done\n` });
    await finished.finally(off);
    return Number(process.hrtime.bigint() - start) / 1e9;
  } finally {
    await viewer.call('term_close', { id });
  }
}

/** `sessions` sessions spread over the nodes; the listing across nodes from a, by call and by the CLI. */
async function listingRun(nodes: MeshNode[], sessions: number, dir: string) {
  for (const [index, node] of nodes.entries()) {
    const path = join(dir, `ws-${node.name}`);
    execFileSync('git', ['init', '-q', path]);
    const { workspace } = await node.client.call('workspace_add', { path });
    const share = Math.floor(sessions / nodes.length) + (index < sessions % nodes.length ? 1 : 0);
    await Promise.all(
      Array.from({ length: share }, () =>
        node.client.call('session_start', { workspace: workspace.id, provider: 'fake' }),
      ),
    );
  }
  const a = nodes[0]!;
  const calls: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    const { sessions: listed } = await a.client.call('session_list', { nodes: 'all' });
    calls.push(performance.now() - start);
    if (listed.length < sessions) throw new Error(`listed ${listed.length} of ${sessions} sessions`);
  }
  const cli: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const result = await runCortex(['--home', a.daemon.home, 'session', 'ls', '--all-nodes']);
    cli.push(performance.now() - start);
    if (result.code !== 0) throw new Error(result.stderr);
  }
  return { sessions, callMs: median(calls), cliMs: median(cli) };
}

/** ms a `workspace_list` of c takes from `client`, one call after another (after 200 to warm up), median of 3 runs. */
async function callRun(client: Client, count: number): Promise<number> {
  for (let i = 0; i < 200; i++) await client.call('workspace_list', { node: 'c' });
  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    for (let i = 0; i < count; i++) await client.call('workspace_list', { node: 'c' });
    runs.push((performance.now() - start) / count);
  }
  return median(runs);
}

export function formatTreeBench(result: TreeBenchResult): string {
  const { events, terminal, listing, calls } = result;
  const rate = (value: number | string) => (typeof value === 'string' ? value : `${mib(value)} MiB/s`);
  const ratio =
    typeof terminal.remote === 'string' ? 'n/a' : `${(terminal.remote / terminal.local).toFixed(2)} (goal ≥ 0.5)`;
  return [
    `One tree, a — b — c on loopback over mutual TLS (median of ${RUNS} runs)`,
    `  session events (${events.count})   local on c: p50 ${events.local.p50Ms} ms, p99 ${events.local.p99Ms} ms, ${Math.round(events.local.perSec)}/s`,
    `                            remote on a: p50 ${events.remote.p50Ms} ms, p99 ${events.remote.p99Ms} ms, ${Math.round(events.remote.perSec)}/s (${(events.remote.perSec / events.local.perSec).toFixed(2)}× local)`,
    `  terminal cat ${mib(terminal.bytes)} MiB    local on c: ${rate(terminal.local)}; remote on a: ${rate(terminal.remote)}; ratio ${ratio}`,
    `  session_list nodes:"all", 3 nodes, ${listing.sessions} sessions: ${listing.callMs.toFixed(1)} ms a call (goal < 100 ms); cortex session ls --all-nodes ${listing.cliMs.toFixed(0)} ms`,
    `  workspace_list of c, ${calls.count} one at a time: local on c ${calls.localMs.toFixed(3)} ms a call; from a (through b) ${calls.remoteMs.toFixed(3)} ms a call`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatTreeBench(await runTreeBench()));
}
