import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, connectUnix } from '../../src/client/client.js';
import { homePaths } from '../../src/paths.js';
import { endOnExit } from './exit-guard.js';

/** The `cortex` that ships: the CLI bundle (scripts/bundle-cli.mjs). */
export const CORTEX_BIN = fileURLToPath(new URL('../../bin/cortex.cjs', import.meta.url));

export interface DaemonHandle {
  home: string;
  socket: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the daemon wrote to stderr so far. */
  stderr(): string;
  connect(): Promise<Client>;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** Resolves when the process has exited (by any means). */
  exited: Promise<number | null>;
}

export interface StartOptions {
  /** An existing home to reuse (after a restart); a fresh temporary one otherwise. */
  home?: string;
  /** Written to config/config.json before the start. */
  config?: Record<string, unknown>;
  args?: string[];
  env?: Record<string, string>;
  /** A command that runs node, with its arguments (the bench counts instructions under valgrind). */
  launcher?: string[];
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix = 'cortex-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Starts a real daemon process on a temporary home and resolves once it logs
 * that it listens (an event, not a sleep). The caller stops it; `cleanup`
 * also removes the home.
 */
export async function startDaemon(options: StartOptions = {}): Promise<DaemonHandle> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'cortex-home-'));
  const paths = homePaths(home);
  if (options.config) {
    mkdirSync(paths.configDir, { recursive: true });
    writeFileSync(join(paths.configDir, 'config.json'), JSON.stringify(options.config));
  }
  // Without a launcher the command is node itself.
  const [command = process.execPath, ...prefix] = [...(options.launcher ?? []), process.execPath];
  const child = spawn(command, [...prefix, CORTEX_BIN, 'daemon', '--home', home, ...(options.args ?? [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // HOME is the temporary home too: shells the daemon starts in terminals read no rc file of the
    // machine's user (a pyenv rehash in root's .bashrc hung every new shell on a lock a killed one left).
    // HISTFILE: such a shell, hung up when the daemon is killed, wrote .bash_history into that home after
    // cleanup's retries had given up, and its rm failed with ENOTEMPTY (a CI run of tui/tmux).
    env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '', HOME: home, HISTFILE: '/dev/null', ...options.env },
  });
  // SIGTERM, not SIGKILL: the daemon then ends its sessions' and terminals' processes too.
  const unguard = endOnExit(() => child.kill('SIGTERM'));
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(unguard);
  await new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (stderr.includes('listening on')) resolve();
    });
    void exited.then((code) => {
      if (stderr.includes('listening on')) return;
      // It never started: nobody will get a handle to clean this home up.
      if (options.home === undefined) rmSync(home, { recursive: true, force: true });
      reject(new Error(`the daemon exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    home,
    socket: paths.socket,
    dataDir: paths.dataDir,
    process: child,
    stderr: () => stderr,
    connect: () => connectUnix(paths.socket),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Stops the daemon (if still running) and removes its home. */
export async function cleanup(daemon: DaemonHandle | undefined): Promise<void> {
  if (!daemon) return;
  await daemon.kill();
  // A git the daemon started (a turn's snapshot) outlives its SIGKILL for a moment and may still be
  // writing objects under the home: rm then meets a directory that just got a file (ENOTEMPTY). Node
  // retries with a growing wait: up to ~10 s in all, for a loaded machine. (A terminal's shell, hung up
  // by the kill, wrote its history here too, at times later still: startDaemon points HISTFILE away.)
  rmSync(daemon.home, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
}
