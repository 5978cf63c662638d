import { daemonPaths } from '../../src/paths.js';
import { type Command, line } from '../context.js';

export const daemonCommand: Command = {
  name: 'daemon',
  usage: 'daemon [--home DIR | --system] [--socket PATH] [--node-name NAME] [--group NAME] [--listen HOST:PORT]',
  summary: 'Run the daemon in the foreground (for systemd and headless machines); SIGTERM or Ctrl-C stops it cleanly.',
  options: {
    'node-name': { type: 'string' },
    system: { type: 'boolean' },
    group: { type: 'string' },
    listen: { type: 'string' },
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
