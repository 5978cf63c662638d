import { daemonPaths } from '../../src/paths.js';
import { CortexError } from '../../src/protocol/errors.js';
import { type Command, line } from '../context.js';

export const daemonCommand: Command = {
  name: 'daemon',
  usage:
    'daemon [--home DIR | --system] [--socket PATH] [--node-name NAME] [--group NAME] [--listen HOST:PORT] [--mesh-listen HOST:PORT]',
  summary: 'Run the daemon in the foreground (for systemd and headless machines); SIGTERM or Ctrl-C stops it cleanly.',
  options: {
    'node-name': { type: 'string' },
    system: { type: 'boolean' },
    group: { type: 'string' },
    listen: { type: 'string' },
    'mesh-listen': { type: 'string' },
  },
  async run(context, _args, options) {
    // Loaded here so that other commands never load the daemon's code.
    const { Daemon } = await import('../../daemon/daemon.js');
    const paths = daemonPaths({ ...context.global, system: options['system'] === true }, context.env);
    const daemon = await Daemon.start({
      paths,
      nodeName: options['node-name'] as string | undefined,
      socketGroup: options['group'] as string | undefined,
      listen: options['listen'] as string | undefined,
      meshListen: options['mesh-listen'] as string | undefined,
      clockOffsetMs: clockOffset(context.env['CORTEX_CLOCK_OFFSET_MS']),
      // Testing aids, documented in SECURITY.md: act as if the addon had not built, or as if no
      // caller's kernel identity could be read.
      pretendNoAddon: context.env['CORTEX_TEST_NO_ADDON'] === '1',
      failPeerCred: context.env['CORTEX_TEST_FAIL_PEERCRED'] === '1',
      logToStderr: context.env['CORTEX_DAEMON_BACKGROUND'] !== '1',
    });
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        daemon.log.info(`${signal} received, stopping`);
        daemon.stop().then(resolve, (error: unknown) => {
          line(context.stderr, `cortex daemon: stopping failed: ${String(error)}`);
          resolve();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};

/** CORTEX_CLOCK_OFFSET_MS: a testing aid that shifts the daemon's wall clock (to play a node whose clock is wrong). */
function clockOffset(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const offset = Number(text);
  if (!Number.isSafeInteger(offset)) {
    throw new CortexError(
      'EINVAL',
      `CORTEX_CLOCK_OFFSET_MS must be an integer number of ms, not ${JSON.stringify(text)}.`,
    );
  }
  return offset;
}
