import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn as spawnPty } from 'node-pty';
import type { Client } from '../src/client/client.js';
import { median, mib, startBenchDaemon } from './bench-daemon.js';

export interface PtyBenchResult {
  bytes: number;
  runs: number;
  /** Bytes of the file per second, median of the runs. */
  cortex: number;
  /** The same through tmux, read raw with pipe-pane. */
  tmuxPipe: number | null;
  /** The same through tmux with a client attached (tmux renders, and sends the client screen updates). */
  tmuxAttached: number | null;
  /** cortex / tmuxPipe. */
  ratio: number | null;
}

/** `cat` prints the file, then this marker, written so that the typed command line does not contain it. */
const MARKER = '4242-cat-done';
const COMMAND = (file: string) => `cat ${file}; echo $((4000+242))-cat-done\n`;

/**
 * PTY throughput: `cat` of a 50 MB file in a Cortex terminal, every byte
 * streamed to an attached client (term_output), beside the same `cat` in tmux
 * measured in the same run: read raw from the pane with `pipe-pane`, and with
 * a tmux client attached in a PTY of its own. The clock runs from sending the
 * command to seeing the marker printed after the file.
 */
export async function runPtyBench(options: { bytes?: number; runs?: number } = {}): Promise<PtyBenchResult> {
  const bytes = options.bytes ?? 50 * 1024 * 1024;
  const runs = options.runs ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-pty-'));
  const file = join(dir, 'big.txt');
  const line = `${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(2)}${' '.repeat(7)}\n`;
  writeFileSync(file, line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes));
  try {
    const cortex: number[] = [];
    const daemon = await startBenchDaemon();
    try {
      const { workspace } = await daemon.client.call('workspace_add', { path: dir });
      for (let run = 0; run < runs; run++) cortex.push(bytes / (await cortexRun(daemon.client, workspace.id, file)));
    } finally {
      await daemon.stop();
    }
    const tmux = hasTmux();
    const pipe: number[] = [];
    const attached: number[] = [];
    if (tmux) {
      for (let run = 0; run < runs; run++) pipe.push(bytes / (await tmuxPipeRun(dir, file)));
      for (let run = 0; run < runs; run++) attached.push(bytes / (await tmuxAttachedRun(dir, file)));
    }
    const result: PtyBenchResult = {
      bytes,
      runs,
      cortex: median(cortex),
      tmuxPipe: tmux ? median(pipe) : null,
      tmuxAttached: tmux ? median(attached) : null,
      ratio: tmux ? median(cortex) / median(pipe) : null,
    };
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds for one `cat` through a Cortex terminal to an attached client. */
async function cortexRun(client: Client, workspace: string, file: string): Promise<number> {
  const { id } = await client.call('term_open', { workspace, command: ['sh'], cols: 200, rows: 50 });
  try {
    let received = 0;
    let tail = '';
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const off = client.onNotification((method, params) => {
      const output = params as { id?: string; data?: Uint8Array };
      if (method !== 'term_output' || output.id !== id || output.data === undefined) return;
      received += output.data.length;
      tail = (tail + Buffer.from(output.data.subarray(-64)).toString('latin1')).slice(-64);
      if (tail.includes(MARKER)) done();
    });
    await client.call('term_attach', { id, scrollback: 0 });
    const start = process.hrtime.bigint();
    await client.call('term_write', { id, data: COMMAND(file) });
    await finished;
    off();
    if (received < 1) throw new Error('no output');
    return Number(process.hrtime.bigint() - start) / 1e9;
  } finally {
    await client.call('term_close', { id });
  }
}

function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** A tmux server of our own (its own socket, no configuration), for one run. */
function tmuxServer(dir: string) {
  const socket = join(dir, `tmux-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', cwd: dir });
  tmux('new-session', '-d', '-s', 'bench', '-x', '200', '-y', '50', 'sh');
  return { socket, tmux, kill: () => spawnSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' }) };
}

/** Seconds for one `cat` in tmux, the pane's output piped raw (`pipe-pane`) through a FIFO that the bench reads. */
async function tmuxPipeRun(dir: string, file: string): Promise<number> {
  const server = tmuxServer(dir);
  const fifo = join(dir, `pipe-${process.hrtime.bigint()}`);
  execFileSync('mkfifo', [fifo]);
  try {
    server.tmux('pipe-pane', '-t', 'bench', '-o', `cat > ${fifo}`);
    const stream = createReadStream(fifo);
    let tail = '';
    const seen = new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk) => {
        tail = (tail + (chunk as Buffer).subarray(-64).toString('latin1')).slice(-64);
        if (tail.includes(MARKER)) resolve();
      });
      stream.on('error', reject);
    });
    const start = process.hrtime.bigint();
    server.tmux('send-keys', '-t', 'bench', '-l', COMMAND(file));
    await seen;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    stream.destroy();
    return seconds;
  } finally {
    server.kill();
    rmSync(fifo, { force: true });
  }
}

/** Seconds for one `cat` in tmux with a client attached (in a PTY), until the client's screen shows the marker. */
async function tmuxAttachedRun(dir: string, file: string): Promise<number> {
  const server = tmuxServer(dir);
  const client = spawnPty('tmux', ['-S', server.socket, '-f', '/dev/null', 'attach', '-t', 'bench'], {
    name: 'xterm-256color',
    cols: 200,
    rows: 50,
    cwd: dir,
    env: { ...process.env, TMUX: '' },
  });
  try {
    let tail = '';
    let attachedOutput: () => void = () => undefined;
    const attachedNow = new Promise<void>((resolve) => (attachedOutput = resolve));
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    client.onData((data) => {
      attachedOutput();
      tail = (tail + data).slice(-4096);
      if (tail.includes(MARKER)) done();
    });
    await attachedNow;
    const start = process.hrtime.bigint();
    server.tmux('send-keys', '-t', 'bench', '-l', COMMAND(file));
    await finished;
    return Number(process.hrtime.bigint() - start) / 1e9;
  } finally {
    client.kill();
    server.kill();
  }
}

function report(result: PtyBenchResult): void {
  const rate = (value: number | null) => (value === null ? 'n/a' : `${mib(value)} MiB/s`);
  console.log(
    `PTY throughput, cat of a ${mib(result.bytes)} MiB file to an attached client (median of ${result.runs})`,
  );
  console.log(`  cortex terminal -> client   ${rate(result.cortex)}`);
  console.log(`  tmux pipe-pane (raw)        ${rate(result.tmuxPipe)}`);
  console.log(`  tmux attached client        ${rate(result.tmuxAttached)}`);
  console.log(`  ratio cortex / tmux raw     ${result.ratio === null ? 'n/a (no tmux)' : result.ratio.toFixed(2)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  report(await runPtyBench());
}
