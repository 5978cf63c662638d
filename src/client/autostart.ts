import { spawn } from 'node:child_process';
import { CortexError } from '../protocol/errors.js';
import { type Client, connectUnix } from './client.js';

export interface AutostartOptions {
  socket: string;
  /** The command that runs a daemon in the foreground, e.g. [node, cortex.js, 'daemon', '--home', dir]. */
  daemonCommand?: readonly string[] | undefined;
  /** How long to wait for a started daemon to answer. */
  waitMs?: number;
  callTimeoutMs?: number;
}

/**
 * Connects to the daemon, starting one in the background first when none
 * answers and a daemon command was given. Waits until the new daemon's socket
 * answers, or fails with the daemon's own words if it exits first.
 */
export async function connectOrStart(options: AutostartOptions): Promise<Client> {
  const connectOptions = { callTimeoutMs: options.callTimeoutMs ?? 0 };
  try {
    return await connectUnix(options.socket, connectOptions);
  } catch (error) {
    if (!(error instanceof CortexError) || error.code !== 'ECONNREFUSED' || !options.daemonCommand) throw error;
  }
  const [command, ...args] = options.daemonCommand;
  const child = spawn(command!, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CORTEX_DAEMON_BACKGROUND: '1' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const deadline = Date.now() + (options.waitMs ?? 5000);
  try {
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      try {
        return await connectUnix(options.socket, connectOptions);
      } catch {
        if (exited !== undefined) {
          const reason = stderr.trim().split('\n').pop() ?? `it exited with code ${exited}`;
          throw new CortexError('ECONNREFUSED', `Could not start a daemon: ${reason}`);
        }
        if (Date.now() > deadline) {
          throw new CortexError(
            'ETIMEDOUT',
            `Started a daemon, but it did not answer on ${options.socket} within ${options.waitMs ?? 5000} ms.`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  } finally {
    child.stderr.destroy();
    child.unref();
  }
}
