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
 * terminal would show, against a real daemon with the fake provider.
 *  1. first frame: from spawning the TUI to the screen showing "connected"
 *     and the tree with its session (process start, Ink and React loading,
 *     connecting, the first lists);
 *  2. key to frame while the open session streams ~1,000 events a second:
 *     from writing a key to the PTY to the arrival of the output that shows
 *     its effect: moving the selection in the tree (j/k between two rows that
 *     open nothing), and scrolling the events (k/j, the title says
 *     "scrolled"; each k also asks the daemon for an older page);
 *  3. memory: the TUI's RSS with a session of 100,000 events open (the
 *     newest page loaded), then after scrolling to the top (every page loaded).
 * Times are taken when the output arrives, before xterm parses it.
 * Runnable alone (`node dist/bench/tui.js`); BENCH_TUI_TRACE=1 prints the
 * progress of the paging to the top on stderr.
 */
export interface TuiBenchResult {
  /** To the first output of any kind (Ink's first frame, still connecting): mostly loading the code. */
  firstOutputMs: number[];
  firstFrameMs: number[];
  /** RSS of a TUI just started on a small session. */
  idleRssMb: number;
  streamEventsPerSecond: number;
  treeKeyMs: { p50: number; p99: number; samples: number };
  scrollKeyMs: { p50: number; p99: number; samples: number };
  events: number;
  openRssMb: number;
  topRssMb: number;
  /** Peak RSS (VmHWM) over the whole memory run. */
  peakRssMb: number;
  /** RSS after paging up through SCROLLED_EVENTS events, and how many page-ups that took. */
  scrolledRssMb: number;
  pageUps: number;
}

const { Terminal } = xterm;
const COLUMNS = 100;
const ROWS = 30;
const FIRST_FRAME_RUNS = 5;
const KEY_SAMPLES = 100;
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

  constructor(home: string, cwd: string) {
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
        // Options for the TUI's node alone (a heap cap, say); without them it inherits the bench's.
        NODE_OPTIONS: process.env['BENCH_TUI_NODE_OPTIONS'] ?? process.env['NODE_OPTIONS'] ?? '',
      },
    });
    let first: (at: number) => void = () => undefined;
    this.firstArrival = new Promise((resolve) => (first = resolve));
    this.pty.onData((data) => {
      const arrival = performance.now();
      first(arrival);
      this.terminal.write(data, () => {
        this.arrival = arrival;
        for (const waiter of [...this.waiters]) waiter();
      });
    });
    this.exited = new Promise((resolve) => this.pty.onExit(() => resolve()));
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
async function withTui<T>(daemon: DaemonHandle, work: (tui: PtyTui) => Promise<T>): Promise<T> {
  const tui = new PtyTui(daemon.home, daemon.home);
  try {
    const result = await work(tui);
    await tui.quit();
    return result;
  } catch (error) {
    tui.kill();
    throw error;
  }
}

/** Connected, and the tree down to a session row (`▶ fake 3s`). */
const ready = (tui: PtyTui) => () =>
  tui.screen().includes('● connected') && /│ +•?\S fake \d+[smhd]/.test(tui.screen());

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summarize(samples: number[]): { p50: number; p99: number; samples: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: samples.length };
}

export async function firstFrame(): Promise<Pick<TuiBenchResult, 'firstOutputMs' | 'firstFrameMs' | 'idleRssMb'>> {
  return withDaemon(async (daemon, control, workspace) => {
    const { session } = await control.call('session_start', { workspace, provider: 'fake', prompt: 'hello' });
    await (await SessionWatch.start(control, session.id)).turnEnd(1);
    const firstOutputMs: number[] = [];
    const firstFrameMs: number[] = [];
    let idleRssMb = NaN;
    for (let run = 0; run < FIRST_FRAME_RUNS; run++) {
      const started = performance.now();
      await withTui(daemon, async (tui) => {
        firstFrameMs.push((await tui.waitFor(ready(tui), 'the first full frame')) - started);
        firstOutputMs.push((await tui.firstArrival) - started);
        idleRssMb = tui.memory().rssMb;
      });
    }
    return { firstOutputMs, firstFrameMs, idleRssMb };
  });
}

export async function keyToFrame(): Promise<
  Pick<TuiBenchResult, 'streamEventsPerSecond' | 'treeKeyMs' | 'scrollKeyMs'>
> {
  return withDaemon(async (daemon, control, workspace) => {
    // ~1,000 events a second for longer than the measurement; interrupted at the end.
    const prompt = Array.from({ length: 1_000 }, () => '/stream 100\n/sleep 95').join('\n');
    const { session } = await control.call('session_start', { workspace, provider: 'fake', prompt });
    let received = 0;
    control.onNotification('event', (event) => {
      if (event.session === session.id) received++;
    });
    await control.call('subscribe', { topic: `session:${session.id}` });
    try {
      return await withTui(daemon, async (tui) => {
        await tui.waitFor(ready(tui), 'the tree');
        // Open the streaming session (node → project → workspace → session), then go back to the node.
        for (const key of 'jjj') tui.press(key);
        await tui.waitFor(() => tui.screen().includes(`${session.id} · fake · running`), 'the session streaming');
        // Row 0 is the tab strip, row 1 the tree's border: the node is row 2, the project row 3.
        const nodeSelected = () => tui.inverse(2, 2) && !tui.inverse(2, 3);
        const projectSelected = () => tui.inverse(2, 3) && !tui.inverse(2, 2);
        for (const key of 'kkk') tui.press(key);
        await tui.waitFor(nodeSelected, 'the node row selected');

        const began = performance.now();
        const countedFrom = received;
        const tree: number[] = [];
        for (let i = 0; i < KEY_SAMPLES; i++) {
          const down = i % 2 === 0;
          const pressed = tui.press(down ? 'j' : 'k');
          tree.push((await tui.waitFor(down ? projectSelected : nodeSelected, 'the selection to move')) - pressed);
        }

        tui.press('\t');
        await tui.waitFor(() => tui.screen().includes('j/k scroll · G follow'), 'the events focused');
        // Scrolled up, the view holds still while the session streams below it: each k or j
        // moves it one line, so the frame a key caused is the one whose top line changed.
        const topLine = () => tui.line(3);
        tui.press('k');
        await tui.waitFor(() => tui.line(2).includes('scrolled (G follows)'), 'scrolled up');
        const scroll: number[] = [];
        for (let i = 0; i < KEY_SAMPLES; i++) {
          const before = topLine();
          const pressed = tui.press(i % 2 === 0 ? 'k' : 'j');
          scroll.push((await tui.waitFor(() => topLine() !== before, 'the scroll')) - pressed);
        }
        const seconds = (performance.now() - began) / 1000;
        return {
          streamEventsPerSecond: (received - countedFrom) / seconds,
          treeKeyMs: summarize(tree),
          scrollKeyMs: summarize(scroll),
        };
      });
    } finally {
      await control.call('session_interrupt', { session: session.id }).catch(() => undefined);
    }
  });
}

export async function memory(): Promise<
  Pick<TuiBenchResult, 'events' | 'openRssMb' | 'scrolledRssMb' | 'pageUps' | 'topRssMb' | 'peakRssMb'>
> {
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
    return withTui(daemon, async (tui) => {
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

export async function runTuiBench(): Promise<TuiBenchResult> {
  const first = await firstFrame();
  const keys = await keyToFrame();
  const mem = await memory();
  return { ...first, ...keys, ...mem };
}

export function formatTuiBench(result: TuiBenchResult): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const mb = (value: number) => `${value.toFixed(0)} MB`;
  const sorted = [...result.firstFrameMs].sort((a, b) => a - b);
  const firstOutput = [...result.firstOutputMs].sort((a, b) => a - b);
  const rows: [string, string, string][] = [
    [
      'first output (Ink drawn, still connecting: node, the CLI, React and Ink loaded)',
      ms(percentile(firstOutput, 50)),
      '',
    ],
    [
      `first frame (median of ${sorted.length}; min–max ${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)} ms)`,
      ms(percentile(sorted, 50)),
      '< 500 ms',
    ],
    [
      `key → frame, tree j/k, p50 / p99 (${result.treeKeyMs.samples} keys, ${Math.round(result.streamEventsPerSecond)} events/s streaming)`,
      `${ms(result.treeKeyMs.p50)} / ${ms(result.treeKeyMs.p99)}`,
      '< 50 ms',
    ],
    [
      `key → frame, events k/j scroll, p50 / p99 (${result.scrollKeyMs.samples} keys)`,
      `${ms(result.scrollKeyMs.p50)} / ${ms(result.scrollKeyMs.p99)}`,
      '< 50 ms',
    ],
    ['RSS, TUI idle on a small session', mb(result.idleRssMb), ''],
    [`RSS, ${result.events.toLocaleString('en')}-event session open (newest page)`, mb(result.openRssMb), '< 200 MB'],
    [
      `RSS, paged up through ${SCROLLED_EVENTS.toLocaleString('en')} events (${result.pageUps} PgUp)`,
      mb(result.scrolledRssMb),
      '< 200 MB',
    ],
    ['RSS, then g to the first event', mb(result.topRssMb), '< 200 MB'],
    ['RSS peak (VmHWM) over that run', mb(result.peakRssMb), '< 200 MB'],
  ];
  const headers: [string, string, string] = ['cortex tui', 'measured', 'target'];
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runTuiBench();
  process.stdout.write(`${formatTuiBench(result)}\n`);
}
