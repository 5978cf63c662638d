import { spawn } from 'node:child_process';
import { CORTEX_BIN } from './daemon.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `cortex` binary as a separate process. */
export function runCortex(
  args: string[],
  options: { env?: Record<string, string>; input?: string | Buffer } = {},
): Promise<CliResult> {
  return runCommand(process.execPath, [CORTEX_BIN, ...args], options);
}

/** Runs `command` with the daemon's location left to `--home` (no CORTEX_HOME or CORTEX_SOCKET inherited). */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string | Buffer; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: options.cwd,
      env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
