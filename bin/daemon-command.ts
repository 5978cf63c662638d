import { fileURLToPath } from 'node:url';
import { type Env, SYSTEM_PATHS } from '../src/paths.js';
import type { GlobalOptions } from './context.js';

/**
 * How to start a daemon for this socket: user mode for a user, system mode for
 * root (as `cortex daemon` itself chooses). Nobody else can start the system
 * daemon, which systemd normally owns.
 */
export function daemonCommandFor(socket: string, global: GlobalOptions, env: Env): string[] | undefined {
  if (socket === SYSTEM_PATHS.socket && process.getuid?.() !== 0) return undefined;
  const entry = fileURLToPath(new URL('./cortex.js', import.meta.url));
  const args = [process.execPath, entry, 'daemon'];
  const home = global.home ?? env['CORTEX_HOME'];
  if (home) args.push('--home', home);
  if (global.socket ?? env['CORTEX_SOCKET']) args.push('--socket', socket);
  return args;
}
