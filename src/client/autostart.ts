import { readFileSync } from 'node:fs';
import { CortexError, errorCode } from '../protocol/errors.js';
import { stoppedMarker } from '../paths.js';
import { formatMs } from '../format-ms.js';
import { type Client, type ClientOptions, connectUnix } from './client.js';

/** How to start a daemon for a socket, or why none may be started there. */
export type DaemonStart = { command: readonly string[]; dataDir: string } | { refused: string };

export interface AutostartOptions {
  socket: string;
  start: DaemonStart;
  /** False on a reconnect: a client starts a daemon only on its first connection. */
  firstConnection: boolean;
  /** How long a started daemon may take to answer before it is stopped again. */
  waitMs: number;
  client: ClientOptions;
}

/**
 * Connects to the daemon, starting one in the background first when none
 * answers and the rules allow it (see whyNotStart). Waits until the new daemon's
 * socket answers, or fails with the daemon's own words if it exits first.
 */
export async function connectOrStart(options: AutostartOptions): Promise<Client> {
  const connectOptions = { ...options.client, connectTimeoutMs: options.waitMs };
  try {
    return await connectUnix(options.socket, connectOptions);
  } catch (error) {
    if (errorCode(error) !== 'ECONNREFUSED') throw error;
    const refusal = whyNotStart(options);
    if (refusal !== undefined) throw new CortexError('ECONNREFUSED', `${(error as Error).message} ${refusal}`);
  }
  return startAndConnect(options.start as { command: readonly string[] }, options);
}

/**
 * The rules of starting on demand, in one place. A client never starts a daemon
 * on a reconnect (the operator may have stopped it on purpose, and a daemon
 * started by a client lacks whatever the operator gave on its command line), nor
 * where the caller said it may not (system mode), nor for a data directory whose
 * last daemon was stopped with `cortex stop` or by its unit.
 */
function whyNotStart(options: AutostartOptions): string | undefined {
  if ('refused' in options.start) return options.start.refused;
  if (!options.firstConnection) return 'Not starting one on a reconnect: waiting for it to come back.';
  let stopped: string;
  try {
    stopped = readFileSync(stoppedMarker(options.start.dataDir), 'utf8').trim();
  } catch {
    return undefined;
  }
  return `Not starting one: the last daemon there was ${stopped}; start it again with cortex daemon or its unit.`;
}

async function startAndConnect(start: { command: readonly string[] }, options: AutostartOptions): Promise<Client> {
  const [command, ...args] = start.command;
  // Loaded here: most commands find a daemon running and never start one.
  const { spawn } = await import('node:child_process');
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
  const lastWords = () => stderr.trim().split('\n').pop() ?? '';
  const deadline = Date.now() + options.waitMs;
  try {
    for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
      try {
        return await connectUnix(options.socket, { ...options.client, connectTimeoutMs: options.waitMs });
      } catch {
        if (exited !== undefined) {
          throw new CortexError(
            'ECONNREFUSED',
            `Could not start a daemon: ${lastWords() || `it exited with ${exited}`}`,
          );
        }
        if (Date.now() > deadline) {
          // A daemon that neither answers nor gives up is of no use to anyone: it is ours, so it goes.
          child.kill('SIGKILL');
          const said = lastWords();
          throw new CortexError(
            'ETIMEDOUT',
            `Started a daemon, but it did not answer on ${options.socket} within ${formatMs(options.waitMs)}, so it was stopped${said ? `; it said: ${said}` : '.'}`,
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
