import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../test/helpers/daemon.js';
import { request } from '../test/protocol/raw-client.js';
import { callgrindLauncher, InstructionCounter } from './callgrind.js';
import { processCpuMicros, selfCpuMicros } from './cpu.js';

/**
 * Session events from a provider's stdout to subscribed clients: the daemon
 * runs a stand-in for the codex binary (a node script printing Codex JSONL),
 * ten clients subscribe to the session, and we measure
 *  - throughput: events per second delivered to all ten, for a burst;
 *  - latency: from the moment the provider wrote a line (a timestamp in the
 *    line) to the moment a subscriber got the notification, at a paced rate;
 *  - the same burst to ten raw sockets that decode nothing (they count the
 *    agent messages in the bytes), which shows the daemon's side alone.
 * Both ends read the same clock (`performance.timeOrigin + performance.now()`).
 */
export interface RuntimeEventsResult {
  subscribers: number;
  burstEvents: number;
  eventsPerSecond: number;
  /** CPU the daemon and this process (the ten subscribers) used for the burst, in ms. */
  daemonCpuMs: number;
  clientCpuMs: number;
  /** The burst to ten raw readers: events/s to each, and the daemon's CPU in ms. */
  rawEventsPerSecond: number;
  rawDaemonCpuMs: number;
  pacedEvents: number;
  p50Ms: number;
  p99Ms: number;
  deltas: DeltaResult;
}

/** Streamed pieces of one reply: how few events they became, and how soon all subscribers had the text. */
export interface DeltaResult {
  pieces: number;
  bytes: number;
  events: number;
  /** From session_send to the last subscriber having the whole text. */
  ms: number;
}

const SUBSCRIBERS = 10;

function providerScript(mode: 'burst' | 'paced', count: number): string {
  // One blocking write(2) per line, as the Rust codex's line-buffered stdout does: when the daemon falls behind,
  // the provider waits. (process.stdout would queue the lines in the provider's memory once the socket is full and
  // send them only after the loop ends, so the provider and the daemon would take turns instead of overlapping.)
  return `#!/usr/bin/env node
const { writeSync } = require('node:fs');
const out = (event) => writeSync(1, JSON.stringify(event) + '\\n');
const now = () => performance.timeOrigin + performance.now();
out({ type: 'thread.started', thread_id: 'bench-thread' });
out({ type: 'turn.started' });
let i = 0;
const finish = () => out({ type: 'turn.completed', usage: { input_tokens: 1, output_tokens: ${count} } });
${
  mode === 'burst'
    ? `for (; i < ${count}; i++) out({ type: 'item.completed', item: { id: 'i' + i, type: 'agent_message', text: 'message ' + i } });
finish();`
    : `const timer = setInterval(() => {
  for (let k = 0; k < 5 && i < ${count}; k++, i++) out({ type: 'item.completed', item: { id: 'i' + i, type: 'agent_message', text: String(now()) } });
  if (i >= ${count}) { clearInterval(timer); finish(); }
}, 5);`
}
`;
}

type Readers = 'clients' | 'raw';

/** Times the arrival of the burst's agent messages at every subscriber. */
class Arrivals {
  firstAt = 0;
  lastAt = 0;
  readonly latenciesMs: number[] = [];

  /** One subscriber got its `received`-th message at `at`; true once it has all `count`. */
  arrived(at: number, received: number, count: number): boolean {
    if (this.firstAt === 0) this.firstAt = at;
    if (received < count) return false;
    this.lastAt = Math.max(this.lastAt, at);
    return true;
  }
}

const now = () => performance.timeOrigin + performance.now();

/** A subscriber through the client library: it decodes every notification. */
async function clientSubscriber(
  daemon: DaemonHandle,
  session: string,
  count: number,
  arrivals: Arrivals,
  timed: boolean,
): Promise<{ close(): void; done: Promise<void> }> {
  const client = await daemon.connect();
  let received = 0;
  const done = new Promise<void>((resolve) => {
    client.onNotification('event', (event) => {
      if (event.type !== 'agent_message') return;
      received++;
      // The clock is read only where a time is used (latency, the burst's first and last event), so that
      // the subscribers' CPU is the client's, not the bench's.
      if (!timed && received !== 1 && received < count) return;
      const at = now();
      if (timed) arrivals.latenciesMs.push(at - Number(event.payload.text));
      if (arrivals.arrived(at, received, count)) resolve();
    });
  });
  await client.call('subscribe', { topic: `session:${session}` });
  return { close: () => client.close(), done };
}

/** `"agent_message"` as MessagePack: once in each agent message's notification. */
const AGENT_MESSAGE = Buffer.from([0xad, ...Buffer.from('agent_message')]);

/** A subscriber that decodes nothing: it counts the agent messages in the bytes it reads. */
async function rawSubscriber(
  daemon: DaemonHandle,
  session: string,
  count: number,
  arrivals: Arrivals,
): Promise<{ close(): void; done: Promise<void> }> {
  const socket = createConnection(daemon.socket);
  let received = 0;
  let carry = Buffer.alloc(0);
  let answered!: () => void;
  const subscribed = new Promise<void>((resolve) => (answered = resolve));
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      answered();
      // A marker may straddle two reads: look again at the tail of the last one.
      const bytes = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      let found = 0;
      for (let at = bytes.indexOf(AGENT_MESSAGE); at !== -1; at = bytes.indexOf(AGENT_MESSAGE, at + 1)) found++;
      carry = Buffer.from(bytes.subarray(Math.max(0, bytes.length - AGENT_MESSAGE.length + 1)));
      if (found > 0 && arrivals.arrived(now(), (received += found), count)) resolve();
    });
  });
  socket.write(request(1, 'subscribe', { topic: `session:${session}` }));
  await subscribed;
  return { close: () => socket.destroy(), done };
}

async function runTurn(
  mode: 'burst' | 'paced',
  count: number,
  readers: Readers = 'clients',
): Promise<{ seconds: number; latenciesMs: number[]; daemonCpuMs: number; clientCpuMs: number }> {
  const dir = tempDir('cortex-bench-events-');
  const binary = join(dir.path, 'codex');
  writeFileSync(binary, providerScript(mode, count));
  chmodSync(binary, 0o755);
  const daemon = await startDaemon({ env: { CORTEX_CODEX_BIN: binary } });
  const opened: { close(): void }[] = [];
  try {
    const control = await daemon.connect();
    opened.push(control);
    const { workspace } = await control.call('workspace_add', { path: dir.path });
    const { session } = await control.call('session_start', { workspace: workspace.id, provider: 'codex-exec' });
    const arrivals = new Arrivals();
    const done: Promise<void>[] = [];
    for (let s = 0; s < SUBSCRIBERS; s++) {
      const subscriber =
        readers === 'raw'
          ? await rawSubscriber(daemon, session.id, count, arrivals)
          : await clientSubscriber(daemon, session.id, count, arrivals, mode === 'paced' && s === 0);
      opened.push(subscriber);
      done.push(subscriber.done);
    }
    const daemonBefore = processCpuMicros(daemon.process.pid!) ?? 0;
    const clientBefore = selfCpuMicros();
    await control.call('session_send', { session: session.id, prompt: 'go' });
    await Promise.all(done);
    return {
      seconds: (arrivals.lastAt - arrivals.firstAt) / 1000,
      latenciesMs: arrivals.latenciesMs,
      daemonCpuMs: ((processCpuMicros(daemon.process.pid!) ?? 0) - daemonBefore) / 1000,
      clientCpuMs: (selfCpuMicros() - clientBefore) / 1000,
    };
  } finally {
    for (const one of opened) one.close();
    await cleanup(daemon);
    dir.remove();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** The fake provider streams `pieces` one-line pieces of a reply as fast as it can (`/deltas N`). */
async function runDeltas(pieces: number): Promise<DeltaResult> {
  const dir = tempDir('cortex-bench-deltas-');
  const daemon = await startDaemon();
  const clients: Client[] = [];
  const bytes = Array.from({ length: pieces }, (_, i) => `line ${i + 1}\n`).join('').length;
  try {
    const control = await daemon.connect();
    clients.push(control);
    const { workspace } = await control.call('workspace_add', { path: dir.path });
    const { session } = await control.call('session_start', { workspace: workspace.id, provider: 'fake' });
    let events = 0;
    const done: Promise<void>[] = [];
    for (let s = 0; s < SUBSCRIBERS; s++) {
      const client = await daemon.connect();
      clients.push(client);
      let received = 0;
      done.push(
        new Promise<void>((resolve) => {
          client.onNotification('event', (event) => {
            if (event.type !== 'agent_message_delta') return;
            if (s === 0) events++;
            received += event.payload.text.length;
            if (received === bytes) resolve();
          });
        }),
      );
      await client.call('subscribe', { topic: `session:${session.id}` });
    }
    const sent = performance.now();
    await control.call('session_send', { session: session.id, prompt: `/deltas ${pieces}` });
    await Promise.all(done);
    return { pieces, bytes, events, ms: performance.now() - sent };
  } finally {
    for (const client of clients) client.close();
    await cleanup(daemon);
    dir.remove();
  }
}

export async function runRuntimeEventsBench(burstEvents = 50_000, pacedEvents = 5_000): Promise<RuntimeEventsResult> {
  const burst = await runTurn('burst', burstEvents);
  const raw = await runTurn('burst', burstEvents, 'raw');
  const paced = await runTurn('paced', pacedEvents);
  const deltas = await runDeltas(burstEvents);
  const sorted = [...paced.latenciesMs].sort((a, b) => a - b);
  return {
    subscribers: SUBSCRIBERS,
    burstEvents,
    eventsPerSecond: Math.round(burstEvents / burst.seconds),
    daemonCpuMs: burst.daemonCpuMs,
    clientCpuMs: burst.clientCpuMs,
    rawEventsPerSecond: Math.round(burstEvents / raw.seconds),
    rawDaemonCpuMs: raw.daemonCpuMs,
    pacedEvents,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    deltas,
  };
}

export function formatRuntimeEvents(result: RuntimeEventsResult): string {
  return [
    `Session events, provider stdout → ${result.subscribers} subscribers`,
    `  burst of ${result.burstEvents}: ${result.eventsPerSecond.toLocaleString('en')} events/s delivered to each subscriber`,
    `    CPU: daemon ${Math.round(result.daemonCpuMs)} ms (${((result.daemonCpuMs * 1000) / result.burstEvents).toFixed(1)} µs per event, all ${result.subscribers} copies), subscribers ${Math.round(result.clientCpuMs)} ms (${((result.clientCpuMs * 1000) / result.burstEvents).toFixed(1)} µs per event, all ${result.subscribers} in one process)`,
    `  the same burst to ${result.subscribers} raw sockets that decode nothing: ${result.rawEventsPerSecond.toLocaleString('en')} events/s to each; daemon ${Math.round(result.rawDaemonCpuMs)} ms (${((result.rawDaemonCpuMs * 1000) / result.burstEvents).toFixed(1)} µs per event)`,
    `  paced ${result.pacedEvents} at ~1,000/s: latency p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`,
    `  a reply streamed in ${result.deltas.pieces.toLocaleString('en')} pieces (${(result.deltas.bytes / 1024).toFixed(0)} KiB): ${result.deltas.events} events in the log, all text at every subscriber ${result.deltas.ms.toFixed(0)} ms after the send`,
  ].join('\n');
}

/** The burst alone, to the ten Clients and to ten raw readers: one line, for before-and-after rounds. */
async function burstLine(burstEvents = 50_000): Promise<string> {
  const burst = await runTurn('burst', burstEvents);
  const raw = await runTurn('burst', burstEvents, 'raw');
  const perEvent = (ms: number) => ((ms * 1000) / burstEvents).toFixed(1);
  return [
    `clients ${Math.round(burstEvents / burst.seconds).toLocaleString('en')} events/s`,
    `daemon ${perEvent(burst.daemonCpuMs)} µs/event`,
    `subscribers ${perEvent(burst.clientCpuMs)} µs/event`,
    `raw ${Math.round(burstEvents / raw.seconds).toLocaleString('en')} events/s`,
    `daemon ${perEvent(raw.daemonCpuMs)} µs/event`,
  ].join(', ');
}

/** The daemon's main-thread instructions per session event to ten raw readers, under callgrind. */
export interface DaemonCount {
  /** A turn of N events divided by N: the turn's own start (its process, the workspace snapshot) included. */
  perEvent: number;
  /** (a turn of 2N − a turn of N) / N: the cost of one event more, the turn's own work cancelled out. */
  marginal: number;
}

/**
 * Counts the daemon's main thread under callgrind (unmoved by the load of a shared machine) for bursts to ten raw
 * readers, each from the send to the last reader having every event, after a warm-up turn: a turn of N events,
 * then one of 2N. The daemon runs ~50× slower meanwhile, so the provider is always ahead of it.
 */
async function countDaemon(events = 10_000): Promise<DaemonCount> {
  const dir = tempDir('cortex-bench-events-count-');
  const binary = join(dir.path, 'codex');
  // The daemon runs the file anew for every turn, so each turn prints as many lines as it is given here.
  const provide = (count: number) => {
    writeFileSync(binary, providerScript('burst', count));
    chmodSync(binary, 0o755);
  };
  provide(events);
  const dumps = mkdtempSync(join(tmpdir(), 'cortex-bench-events-callgrind-'));
  const daemon = await startDaemon({
    env: { CORTEX_CODEX_BIN: binary },
    launcher: callgrindLauncher(dumps, { mainThreadOnly: true }),
  });
  const counter = new InstructionCounter(daemon.process.pid!, dumps, true);
  const control = await daemon.connect();
  try {
    const { workspace } = await control.call('workspace_add', { path: dir.path });
    const { session } = await control.call('session_start', { workspace: workspace.id, provider: 'codex-exec' });
    const turn = async (count: number, counted: boolean): Promise<number> => {
      provide(count);
      const arrivals = new Arrivals();
      const readers: Awaited<ReturnType<typeof rawSubscriber>>[] = [];
      try {
        for (let s = 0; s < SUBSCRIBERS; s++) readers.push(await rawSubscriber(daemon, session.id, count, arrivals));
        if (counted) await counter.start();
        await control.call('session_send', { session: session.id, prompt: 'go' });
        await Promise.all(readers.map((reader) => reader.done));
        const instructions = counted ? await counter.stop() : 0;
        await turnEnded(control, session.id);
        return instructions;
      } finally {
        for (const reader of readers) reader.close();
      }
    };
    await turn(events, false);
    const one = await turn(events, true);
    const two = await turn(2 * events, true);
    return { perEvent: one / events, marginal: (two - one) / events };
  } finally {
    control.close();
    await cleanup(daemon);
    dir.remove();
    rmSync(dumps, { recursive: true, force: true });
  }
}

/** A bounded poll of the session's status (the readers see the events, not the turn's end, which comes after them). */
async function turnEnded(control: Client, session: string): Promise<void> {
  for (let tries = 0; tries < 1200; tries++) {
    const { session: state } = await control.call('session_get', { session });
    if (state.status !== 'running') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`session ${session}'s turn did not end within two minutes`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // `burst`: only the burst (no paced run, no deltas); `count`: the daemon's instructions per event.
  if (process.argv[2] === 'burst') process.stdout.write(`${await burstLine()}\n`);
  else if (process.argv[2] === 'count') {
    const { perEvent, marginal } = await countDaemon();
    process.stdout.write(
      `daemon, main thread, to ${SUBSCRIBERS} raw readers: ${Math.round(perEvent)} instructions per event in a turn of 10,000, ${Math.round(marginal)} per event more\n`,
    );
  } else process.stdout.write(`${formatRuntimeEvents(await runRuntimeEventsBench())}\n`);
}
