import { fileURLToPath } from 'node:url';
import type { DaemonStart } from '../src/client/autostart.js';
import { daemonPaths, type Env } from '../src/paths.js';
import type { GlobalOptions } from './context.js';

/**
 * How to start a daemon for this socket on demand, as `cortex daemon` would run
 * with the same --home and --socket (so it reads the same config.json and the
 * node name saved with the data). Never a system-mode daemon: that one belongs to
 * its unit, and root without --home would otherwise start one by accident.
 */
export function daemonStartFor(socket: string, global: GlobalOptions, env: Env): DaemonStart {
  const home = global.home ?? env['CORTEX_HOME'];
  const explicitSocket = global.socket ?? env['CORTEX_SOCKET'];
  const paths = daemonPaths({ home, socket: explicitSocket ? socket : undefined }, env);
  if (paths.mode === 'system') {
    return {
      refused:
        'A system daemon is never started on demand: start its systemd unit (sudo ./install.sh --system ' +
        'installs one) or run cortex daemon --system, or use --home DIR for a daemon of your own.',
    };
  }
  // The unbundled entry beside this module (or the bundle): a daemon's start-up time matters little.
  const entry = fileURLToPath(new URL('./cortex.js', import.meta.url));
  const command = [process.execPath, entry, 'daemon'];
  if (home) command.push('--home', home);
  if (explicitSocket) command.push('--socket', socket);
  return { command, dataDir: paths.dataDir };
}
