import { connect } from 'node:net';
import { connectOrStart } from '../../src/client/autostart.js';
import { CortexError } from '../../src/protocol/errors.js';
import { clientSocket } from '../../src/paths.js';
import type { Command } from '../context.js';
import { daemonStartFor } from '../daemon-command.js';

/**
 * The remote end of `cortex --ssh HOST`: joins standard input and output to the
 * local daemon's socket, byte for byte, starting the daemon if none answers.
 * The daemon sees whoever runs the bridge (the ssh user) through SO_PEERCRED.
 */
export const bridgeCommand: Command = {
  name: 'bridge',
  maxArgs: 0,
  usage: 'bridge [--no-start]',
  summary:
    'Join stdin/stdout to the local daemon (what `cortex --ssh HOST` runs on HOST); --no-start, sent on a reconnect, starts no daemon.',
  options: { 'no-start': { type: 'boolean' } },
  async run(context, _args, options) {
    const socket = clientSocket(context.global, context.env);
    const timeoutMs = context.global.timeoutMs;
    const starter = await connectOrStart({
      socket,
      start: daemonStartFor(socket, context.global, context.env),
      firstConnection: options['no-start'] !== true,
      waitMs: timeoutMs > 0 ? timeoutMs : 30_000,
      client: {},
    });
    starter.close();
    const stream = connect(socket);
    await new Promise<void>((resolve, reject) => {
      stream.once('connect', resolve);
      stream.once('error', (error) =>
        reject(new CortexError('ECONNREFUSED', `No daemon answers on ${socket}: ${error.message}.`)),
      );
    });
    context.stdin.pipe(stream);
    stream.pipe(context.stdout);
    await new Promise<void>((resolve) => {
      stream.once('close', resolve);
      context.stdin.once('end', () => stream.end());
    });
  },
};
