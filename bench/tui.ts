import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import xterm from '@xterm/headless';
import { type IPty, spawn } from 'node-pty';
import type { Client } from '../src/client/client.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../test/helpers/daemon.js';
import { SessionWatch } from '../test/helpers/session-watch.js';

/**
 * `cortex tui` as a user meets it: the real binary under a real PTY
 * (node-pty), its output parsed by a headless xterm into the screen a
 * terminal would show, against a real daemon with the fake provider. The
 * first three run side by side in the same run for both ways of drawing
 * (CORTEX_TUI_FRAMES): `ink`, Ink writing a cleared, whole screen per frame
 * (before), and `diff`, the cells that changed on the alternate screen (after).
 *  1. first frame: from spawning the TUI to the screen showing "connected"
 *     and the tree with its session (process start, Ink and React loading,
 *     connecting, the first lists); and the CPU the TUI spent on each step
 *     of that (CORTEX_TUI_TRACE, src/startup-trace.ts), against node's own
 *     start measured in the same run: on a shared machine the wall clock is
 *     mostly waiting for a core;
 *  2. streaming: bytes per frame and frames per second while the open
 *     session streams ~1,000 events a second (a frame is one synchronized
 *     output, `ESC[?2026h`, which both ways write);
 *  3. key to frame while it streams: from writing a key to the PTY to the
 *     arrival of the output that shows its effect: moving the selection in
 *     the tree (j/k between two rows that open nothing), and scrolling the
 *     events (k/j, the title says "scrolled"; each k also asks the daemon for
 *     an older page);
 *  4. memory (after only): the TUI's RSS with a session of 100,000 events
 *     open (the newest page loaded), then after scrolling to the top.
 * Times are taken when the output arrives, before xterm parses it.
 * Runnable alone (`node dist/bench/tui.js`); BENCH_TUI_TRACE=1 prints the
 * progress of the paging to the top on stderr.
 */
type FrameMode = 'ink' | 'diff';

interface Latency {
  p50: number;
  p99: number;
  samples: number;
}

/** What one way of drawing measures. */
export interface ModeResult {
  /** To the first output of any kind (Ink's first frame, with the tree when its lists came in while the code loaded). */
  firstOutputMs: number[];
  firstFrameMs: number[];
  /** CPU ms the TUI had used at each step of its start, one per run. */
  startCpu: StartCpu[];
  /** CPU ms of `node -e 0`'s start (process.cpuUsage() as its script begins), one per run, beside the TUI's. */
  nodeCpuMs: number[];
  /** RSS of a TUI just started on a small session. */
  idleRssMb: number;
  streamEventsPerSecond: number;
  /** While the session streams, the TUI following it. */
  bytesPerFrame: number;
  framesPerSecond: number;
  treeKeyMs: Latency;
  scrollKeyMs: Latency;
  /** The TUI's CPU ms per second while the session streams and no key is pressed. */
  streamCpuMsPerSecond: number;
  /** The TUI's CPU ms per key beyond what streaming costs in the same time: tree j/k, events k/j. */
  treeKeyCpuMs: number;
  scrollKeyCpuMs: number;
}

/** CPU ms used by the end of each step of `cortex tui`'s start (src/startup-trace.ts). */
export interface StartCpu {
  /** node started and the CLI loaded. */
  cli: number;
  /** The TUI's bundle (React, Ink, yoga) loaded. */
  bundle: number;
  /** The first frame drawn (the tree in it when its lists, asked for while the bundle loads, were in by then). */
  firstFrame: number;
  /** The frame that draws the lists: the tree with its session. */
  tree: number;
}

export interface MemoryResult {
  events: number;
  openRssMb: number;
  topRssMb: number;
  /** Peak RSS (VmHWM) over the whole memory run. */
  peakRssMb: number;
  /** RSS after paging up through SCROLLED_EVENTS events, and how many page-ups that took. */
  scrolledRssMb: number;
  pageUps: number;
}

export interface TuiBenchResult {
  before: ModeResult;
  after: ModeResult;
  memory: MemoryResult;
}

const { Terminal } = xterm;
const COLUMNS = 100;
const ROWS = 30;
const FIRST_FRAME_RUNS = 5;
const KEY_SAMPLES = 100;
/** How long the streaming session's frames are counted. */
const STREAM_SECONDS = 5;
/** Synchronized output begins: one per frame, in both ways of drawing. */
const BEGIN_FRAME = '\x1b[?2026h';
const MEMORY_EVENTS = 100_000;
/** How far back the memory run pages up: four times the events the TUI holds at once. */
const SCROLLED_EVENTS = 20_000;

/** The TUI in a PTY, and the screen it draws. */
export class PtyTui {
  private readonly terminal = new Terminal({ cols: COLUMNS, rows: ROWS, allowProposedApi: true });
  private readonly pty: IPty;
  private readonly waiters = new Set<() => void>();
  /** When the output that produced the current screen arrived (performance.now()). */
  private arrival = 0;
  /** When the first output arrived. */
  firstArrival: Promise<number>;
  readonly exited: Promise<void>;
  /** Bytes and frames the TUI has written so far. */
  bytes = 0;
  frames = 0;
  /** The end of the last chunk, where a frame's marker may have been cut in two. */
  private tail = '';

  constructor(home: string, cwd: string, mode: FrameMode, trace = '') {
    this.pty = spawn(process.execPath, [CORTEX_BIN, '--home', home, 'tui'], {
      name: 'xterm-256color',
      cols: COLUMNS,
      rows: ROWS,
      cwd,
      env: {
        ...process.env,
        CORTEX_HOME: '',
        CORTEX_SOCKET: '',
        TERM: 'xterm-256color',
        CORTEX_TUI_FRAMES: mode,
        CORTEX_TUI_TRACE: trace,
        // Options for the TUI's node alone (a heap cap, say); without them it inherits the bench's.
        NODE_OPTIONS: process.env['BENCH_TUI_NODE_OPTIONS'] ?? process.env['NODE_OPTIONS'] ?? '',
      },
    });
    let first: (at: number) => void = () => undefined;
    this.firstArrival = new Promise((resolve) => (first = resolve));
    this.pty.onData((data) => {
      const arrival = performance.now();
      first(arrival);
      this.count(data);
      this.terminal.write(data, () => {
        this.arrival = arrival;
        for (const waiter of [...this.waiters]) waiter();
      });
    });
    this.exited = new Promise((resolve) => this.pty.onExit(() => resolve()));
  }

  private count(data: string): void {
    this.bytes += Buffer.byteLength(data, 'utf8');
    const text = this.tail + data;
    this.frames += text.split(BEGIN_FRAME).length - 1;
    this.tail = text.slice(-(BEGIN_FRAME.length - 1));
  }

  get pid(): number {
    return this.pty.pid;
  }

  line(y: number): string {
    return this.terminal.buffer.active.getLine(y)?.translateToString(true) ?? '';
  }

  screen(): string {
    return Array.from({ length: ROWS }, (_, y) => this.line(y)).join('\n');
  }

  inverse(x: number, y: number): boolean {
    return Boolean(this.terminal.buffer.active.getLine(y)?.getCell(x)?.isInverse());
  }

  /** Writes a key; returns when it was written. */
  press(key: string): number {
    const at = performance.now();
    this.pty.write(key);
    return at;
  }

  /** Resolves with the arrival time of the output after which `test` holds. */
  waitFor(test: () => boolean, what: string, timeoutMs = 20_000): Promise<number> {
    if (test()) return Promise.resolve(this.arrival);
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (!test()) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        resolve(this.arrival);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}; the screen:\n${this.screen()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** CPU ms the TUI has used (user and system, from /proc/PID/stat; in clock ticks of 10 ms). */
  cpuMs(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of the line, counted from the state (field 3).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /** Resident memory now, and its peak, in MB (from /proc/PID/status). */
  memory(): { rssMb: number; peakMb: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  }

  /** q, then the exit; killed if it does not go. */
  async quit(): Promise<void> {
    this.pty.write('q');
    const timer = setTimeout(() => this.pty.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
    this.terminal.dispose();
  }

  kill(): void {
    this.pty.kill('SIGKILL');
  }
}

/** A daemon on a temporary home with one workspace: the place each part runs in. */
async function withDaemon<T>(
  work: (daemon: DaemonHandle, control: Client, workspace: string) => Promise<T>,
): Promise<T> {
  const dir = tempDir('cortex-bench-tui-');
  const path = join(dir.path, 'project');
  mkdirSync(path);
  const daemon = await startDaemon();
  const control = await daemon.connect();
  try {
    const { workspace } = await control.call('workspace_add', { path });
    return await work(daemon, control, workspace.id);
  } finally {
    control.close();
    await cleanup(daemon);
    dir.remove();
  }
}

/** Runs `work` with a TUI, which is always ended afterwards. */
async function withTui<T>(
  daemon: DaemonHandle,
  mode: FrameMode,
  work: (tui: PtyTui) => Promise<T>,
  trace?: string,
): Promise<T> {
  const tui = new PtyTui(daemon.home, daemon.home, mode, trace);
  try {
    const result = await work(tui);
    await tui.quit();
    return result;
  } catch (error) {
    tui.kill();
    throw error;
  }
}

/** Connected, and the tree down to a session row (`▶ fake <1m`). */
const ready = (tui: PtyTui) => () =>
  tui.screen().includes('● connected') && /│ +•?\S fake (<1m|\d+[mhd])/.test(tui.screen());

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summarize(samples: number[]): { p50: number; p99: number; samples: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: samples.length };
}

/** The CPU at each step, read from a CORTEX_TUI_TRACE file: lines of step, wall ms, CPU ms. */
function startCpu(trace: string): StartCpu {
  const steps = readFileSync(trace, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t'));
  const cpuAt = (index: number) => Number(steps[index]?.[2] ?? NaN);
  const lists = steps.findIndex(([step]) => step === 'lists');
  const treeFrame = steps.findIndex(([step], index) => step === 'frame' && index > lists);
  return {
    cli: cpuAt(steps.findIndex(([step]) => step === 'cli')),
    bundle: cpuAt(steps.findIndex(([step]) => step === 'bundle')),
    firstFrame: cpuAt(steps.findIndex(([step]) => step === 'frame')),
    tree: cpuAt(lists === -1 ? -1 : treeFrame),
  };
}

/** The CPU ms node has used when its script begins: its own start, the anchor of the TUI's. */
function nodeStartCpuMs(): number {
  const script = 'const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000))';
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

export async function firstFrame(
  mode: FrameMode,
): Promise<Pick<ModeResult, 'firstOutputMs' | 'firstFrameMs' | 'idleRssMb' | 'startCpu' | 'nodeCpuMs'>> {
  return withDaemon(async (daemon, control, workspace) => {
    const { session } = await control.call('session_start', { workspace, provider: 'fake', prompt: 'hello' });
    await (await SessionWatch.start(control, session.id)).turnEnd(1);
    const firstOutputMs: number[] = [];
    const firstFrameMs: number[] = [];
    const cpu: StartCpu[] = [];
    const nodeCpuMs: number[] = [];
    let idleRssMb = NaN;
    for (let run = 0; run < FIRST_FRAME_RUNS; run++) {
      const trace = join(daemon.home, `tui-trace-${mode}-${run}`);
      nodeCpuMs.push(nodeStartCpuMs());
      const started = performance.now();
      await withTui(
        daemon,
        mode,
        async (tui) => {
          firstFrameMs.push((await tui.waitFor(ready(tui), 'the first full frame')) - started);
          firstOutputMs.push((await tui.firstArrival) - started);
          idleRssMb = tui.memory().rssMb;
        },
        trace,
      );
      cpu.push(startCpu(trace));
    }
    return { firstOutputMs, firstFrameMs, idleRssMb, startCpu: cpu, nodeCpuMs };
  });
}

export async function keyToFrame(
  mode: FrameMode,
): Promise<
  Pick<
    ModeResult,
    | 'streamEventsPerSecond'
    | 'bytesPerFrame'
    | 'framesPerSecond'
    | 'treeKeyMs'
    | 'scrollKeyMs'
    | 'streamCpuMsPerSecond'
    | 'treeKeyCpuMs'
    | 'scrollKeyCpuMs'
  >
> {
  return withDaemon(async (daemon, control, workspace) => {
    // ~1,000 events a second for longer than the measurement; interrupted at the end. Each burst
    // counts to another total ("message 7 of 103"), so every burst changes the lines shown: with
    // bursts alike, the screen after each would be the same and the diff would send nothing.
    const prompt = Array.from({ length: 1_000 }, (_, burst) => `/stream ${95 + (burst % 10)}\n/sleep 95`).join('\n');
    const { session } = await control.call('session_start', { workspace, provider: 'fake', prompt });
    let received = 0;
    control.onNotification('event', (event) => {
      if (event.session === session.id) received++;
    });
    await control.call('subscribe', { topic: `session:${session.id}` });
    try {
      return await withTui(daemon, mode, async (tui) => {
        await tui.waitFor(ready(tui), 'the tree');
        // Open the streaming session (node → project → workspace → session), then go back to the node.
        for (const key of 'jjj') tui.press(key);
        await tui.waitFor(() => tui.screen().includes(`${session.id} · fake · running`), 'the session streaming');
        const stream = await streamFrames(tui);
        // Row 0 is the tab strip, row 1 the tree's border: the node is row 2, the project row 3.
        const nodeSelected = () => tui.inverse(2, 2) && !tui.inverse(2, 3);
        const projectSelected = () => tui.inverse(2, 3) && !tui.inverse(2, 2);
        for (const key of 'kkk') tui.press(key);
        await tui.waitFor(nodeSelected, 'the node row selected');

        const began = performance.now();
        const countedFrom = received;
        const tree: number[] = [];
        const treeCpu = keyCpu(tui, stream.streamCpuMsPerSecond);
        for (let i = 0; i < KEY_SAMPLES; i++) {
          const down = i % 2 === 0;
          const pressed = tui.press(down ? 'j' : 'k');
          tree.push((await tui.waitFor(down ? projectSelected : nodeSelected, 'the selection to move')) - pressed);
        }
        const treeKeyCpuMs = treeCpu.perKey(KEY_SAMPLES);

        tui.press('\t');
        await tui.waitFor(() => tui.screen().includes('j/k scroll · G follow'), 'the events focused');
        // Scrolled up, the view holds still while the session streams below it: each k or j
        // moves it one line, so the frame a key caused is the one whose top line changed.
        const topLine = () => tui.line(3);
        tui.press('k');
        await tui.waitFor(() => tui.line(2).includes('scrolled (G follows)'), 'scrolled up');
        const scroll: number[] = [];
        const scrollCpu = keyCpu(tui, stream.streamCpuMsPerSecond);
        for (let i = 0; i < KEY_SAMPLES; i++) {
          const before = topLine();
          const pressed = tui.press(i % 2 === 0 ? 'k' : 'j');
          scroll.push((await tui.waitFor(() => topLine() !== before, 'the scroll')) - pressed);
        }
        const scrollKeyCpuMs = scrollCpu.perKey(KEY_SAMPLES);
        const seconds = (performance.now() - began) / 1000;
        return {
          streamEventsPerSecond: (received - countedFrom) / seconds,
          ...stream,
          treeKeyMs: summarize(tree),
          scrollKeyMs: summarize(scroll),
          treeKeyCpuMs,
          scrollKeyCpuMs,
        };
      });
    } finally {
      await control.call('session_interrupt', { session: session.id }).catch(() => undefined);
    }
  });
}

/**
 * The TUI's CPU from now, per key pressed meanwhile, less what streaming alone
 * costs in the same time (`streamCpuMsPerSecond`).
 */
function keyCpu(tui: PtyTui, streamCpuMsPerSecond: number): { perKey: (keys: number) => number } {
  const [cpu, at] = [tui.cpuMs(), performance.now()];
  return {
    perKey: (keys) => (tui.cpuMs() - cpu - (streamCpuMsPerSecond * (performance.now() - at)) / 1000) / keys,
  };
}

/** Bytes per frame, frames and CPU per second over STREAM_SECONDS of the open session streaming, nothing pressed. */
async function streamFrames(
  tui: PtyTui,
): Promise<Pick<ModeResult, 'bytesPerFrame' | 'framesPerSecond' | 'streamCpuMsPerSecond'>> {
  const [bytes, frames, cpu] = [tui.bytes, tui.frames, tui.cpuMs()];
  await new Promise((resolve) => setTimeout(resolve, STREAM_SECONDS * 1000));
  const drawn = tui.frames - frames;
  return {
    bytesPerFrame: (tui.bytes - bytes) / Math.max(1, drawn),
    framesPerSecond: drawn / STREAM_SECONDS,
    streamCpuMsPerSecond: (tui.cpuMs() - cpu) / STREAM_SECONDS,
  };
}

export async function memory(): Promise<MemoryResult> {
  return withDaemon(async (daemon, control, workspace) => {
    const { session } = await control.call('session_start', {
      workspace,
      provider: 'fake',
      prompt: `/stream ${MEMORY_EVENTS}`,
    });
    await (await SessionWatch.start(control, session.id)).turnEnd(1);
    const { events: tail } = await control.call('session_events', {
      session: session.id,
      after: MEMORY_EVENTS,
      limit: 10,
    });
    const events = tail.at(-1)?.seq ?? MEMORY_EVENTS;
    return withTui(daemon, 'diff', async (tui) => {
      await tui.waitFor(ready(tui), 'the tree');
      for (const key of 'jjj') tui.press(key);
      const last = `message ${MEMORY_EVENTS} of ${MEMORY_EVENTS}`;
      await tui.waitFor(() => tui.screen().includes(last), 'the newest events');
      const openRssMb = tui.memory().rssMb;

      tui.press('\r');
      await tui.waitFor(() => tui.screen().includes('j/k scroll · G follow'), 'the events focused');
      // Page up, as a person reading back would, through SCROLLED_EVENTS events: far past the
      // 5,000-event window the TUI holds, so it pages older events in and drops newer ones.
      const oldestShown = () => Number(/message (\d+) of/.exec(tui.screen())?.[1] ?? NaN);
      const target = MEMORY_EVENTS - SCROLLED_EVENTS;
      let pageUps = 0;
      while (!(oldestShown() <= target)) {
        const before = oldestShown();
        tui.press('\u001b[5~');
        await tui.waitFor(() => oldestShown() < before, 'the page above');
        pageUps++;
        if (process.env['BENCH_TUI_TRACE'] && pageUps % 100 === 0)
          console.error(`${pageUps} page-ups: message ${oldestShown()} rss ${tui.memory().rssMb.toFixed(0)} MB`);
      }
      const scrolledRssMb = tui.memory().rssMb;
      // g jumps to the first event: the head page replaces the window.
      tui.press('g');
      await tui.waitFor(() => tui.screen().includes('── fake session in'), 'the first event');
      const { rssMb: topRssMb, peakMb: peakRssMb } = tui.memory();
      return { events, openRssMb, scrolledRssMb, pageUps, topRssMb, peakRssMb };
    });
  });
}

async function measureMode(mode: FrameMode): Promise<ModeResult> {
  return { ...(await firstFrame(mode)), ...(await keyToFrame(mode)) };
}

export async function runTuiBench(): Promise<TuiBenchResult> {
  const before = await measureMode('ink');
  const after = await measureMode('diff');
  return { before, after, memory: await memory() };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const mb = (value: number) => `${value.toFixed(0)} MB`;

/** The rows both ways of drawing measure: what, before, after, target. */
function modeRows({ before, after }: TuiBenchResult): [string, string, string, string][] {
  const median = (values: number[]) =>
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    );
  const spread = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${ms(median(values))} (${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)})`;
  };
  const both = (what: string, of: (result: ModeResult) => string, target = ''): [string, string, string, string] => [
    what,
    of(before),
    of(after),
    target,
  ];
  const latency = (key: 'treeKeyMs' | 'scrollKeyMs') => (result: ModeResult) =>
    `${ms(result[key].p50)} / ${ms(result[key].p99)}`;
  /** The median CPU of a step (or between two), and its ratio to node's own start in the same run. */
  const cpu =
    (to: keyof StartCpu, from?: keyof StartCpu) =>
    (result: ModeResult): string => {
      const spent = median(result.startCpu.map((run) => run[to] - (from ? run[from] : 0)));
      return `${ms(spent)} (${(spent / median(result.nodeCpuMs)).toFixed(2)}×)`;
    };
  return [
    both('first output (node, the CLI, the bundle and the first frame)', (r) => ms(median(r.firstOutputMs))),
    both(`first frame, median (min–max) of ${after.firstFrameMs.length}`, (r) => spread(r.firstFrameMs), '< 300 ms'),
    both('CPU, node -e 0 (the anchor: node starting, same run)', (r) => ms(median(r.nodeCpuMs))),
    both('CPU to the tree drawn (× node -e 0)', cpu('tree')),
    both('  node and the CLI', cpu('cli')),
    both('  loading the bundle (React, Ink, yoga)', cpu('bundle', 'cli')),
    both('  the first frame', cpu('firstFrame', 'bundle')),
    both('  the frames after it to the tree (none when the lists came first)', cpu('tree', 'firstFrame')),
    both(`bytes per frame, ~${Math.round(after.streamEventsPerSecond)} events/s streaming in`, (r) =>
      r.bytesPerFrame.toFixed(0),
    ),
    both('frames per second, the same', (r) => r.framesPerSecond.toFixed(1)),
    both(
      `key → frame, tree j/k, p50 / p99 (${after.treeKeyMs.samples} keys, streaming)`,
      latency('treeKeyMs'),
      '< 30 ms',
    ),
    both(
      `key → frame, events k/j scroll, p50 / p99 (${after.scrollKeyMs.samples} keys)`,
      latency('scrollKeyMs'),
      '< 30 ms',
    ),
    both('TUI CPU while streaming, no key pressed (ms per second)', (r) => r.streamCpuMsPerSecond.toFixed(0)),
    both(
      'TUI CPU per key beyond streaming, tree j/k / events k/j',
      (r) => `${ms(r.treeKeyCpuMs)} / ${ms(r.scrollKeyCpuMs)}`,
    ),
    both('RSS, TUI idle on a small session', (r) => mb(r.idleRssMb)),
  ];
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function formatTuiBench(result: TuiBenchResult): string {
  const { memory: run } = result;
  const memoryRows = [
    [`RSS, ${run.events.toLocaleString('en')}-event session open (newest page)`, mb(run.openRssMb), '< 200 MB'],
    [
      `RSS, paged up through ${SCROLLED_EVENTS.toLocaleString('en')} events (${run.pageUps} PgUp)`,
      mb(run.scrolledRssMb),
      '< 200 MB',
    ],
    ['RSS, then g to the first event', mb(run.topRssMb), '< 200 MB'],
    ['RSS peak (VmHWM) over that run', mb(run.peakRssMb), '< 200 MB'],
  ];
  return [
    table(['cortex tui', 'before (ink: whole frames)', 'after (diff: changed cells)', 'target'], modeRows(result)),
    '',
    table(['cortex tui, memory (after)', 'measured', 'target'], memoryRows),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runTuiBench();
  process.stdout.write(`${formatTuiBench(result)}\n`);
}
