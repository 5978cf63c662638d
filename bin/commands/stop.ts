import { CortexError, errorCode } from '../../src/protocol/errors.js';
import { toJson } from '../../src/json-values.js';
import { type CliContext, type Command, line } from '../context.js';
import { isAlive } from '../../src/process-alive.js';

export const stopCommand: Command = {
  name: 'stop',
  maxArgs: 0,
  usage: 'stop',
  summary:
    'Stop the daemon cleanly, as SIGTERM does (administrators), and wait until it has exited; ' +
    'clients then start none on demand until one is started by hand or by its unit.',
  async run(context) {
    let client;
    try {
      client = await context.connect({ start: false });
    } catch (error) {
      if (errorCode(error) !== 'ECONNREFUSED') throw error;
      line(context.stderr, `${(error as Error).message.trim()} Nothing to stop.`);
      return 0;
    }
    try {
      const { pid, node } = await client.call('status', {});
      const closed = new Promise<void>((resolve) => client.onClose(resolve));
      await client.call('shutdown', {});
      await closed;
      if (isLocal(context)) await exited(pid, context.global.timeoutMs);
      line(context.stdout, context.global.json ? toJson({ ok: true, pid, node }) : `stopped ${node} (pid ${pid})`);
    } finally {
      client.close();
    }
  },
};

function isLocal(context: CliContext): boolean {
  const { global, env } = context;
  return !(global.ssh ?? env['CORTEX_SSH_HOST']) && !(global.host ?? env['CORTEX_HOST']);
}

/**
 * The daemon closes its connections before it has committed, closed the database and
 * released its lock; a script that starts another right after must find it gone. No
 * event tells when another process exits, so this polls, within the deadline.
 */
async function exited(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + (timeoutMs > 0 ? timeoutMs : Number.POSITIVE_INFINITY);
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new CortexError('ETIMEDOUT', `The daemon (pid ${pid}) is still stopping after ${timeoutMs} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
