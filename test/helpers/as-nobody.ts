import { spawn } from 'node:child_process';
import type { CliResult } from './cli.js';
import { CORTEX_BIN } from './daemon.js';

/** uid and gid of `nobody`/`nogroup`, the second user the suite runs the CLI as (the suite runs as root). */
export const NOBODY = 65534;

/** Runs the real CLI as uid 65534 through setpriv, so the daemon knows it by SO_PEERCRED as `nobody`. */
export function asNobody(args: string[], input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'setpriv',
      ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, CORTEX_BIN, ...args],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        cwd: '/',
        env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '', HOME: '/nonexistent' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
