import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, connectUnix } from '../src/client/client.js';

export const CORTEX_BIN = fileURLToPath(new URL('../bin/cortex.cjs', import.meta.url));

export interface BenchDaemon {
  home: string;
  client: Client;
  process: ChildProcess;
  connect(): Promise<Client>;
  stop(): Promise<void>;
}

/** A real daemon on a temporary home, as a user would run it; stop() ends it and removes the home. */
export async function startBenchDaemon(): Promise<BenchDaemon> {
  const home = mkdtempSync(join(tmpdir(), 'cortex-bench-'));
  const child = spawn(process.execPath, [CORTEX_BIN, 'daemon', '--home', home], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (stderr.includes('listening on')) resolve();
    });
    void exited.then(() => reject(new Error(`the daemon exited before listening: ${stderr}`)));
  });
  const socket = join(home, 'cortex.sock');
  const client = await connectUnix(socket);
  return {
    home,
    client,
    process: child,
    connect: () => connectUnix(socket),
    async stop() {
      client.close();
      child.kill('SIGTERM');
      await exited;
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
