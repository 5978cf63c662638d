import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where a daemon keeps its socket, data and configuration. */
export interface CortexPaths {
  mode: 'home' | 'user' | 'system';
  socket: string;
  dataDir: string;
  configDir: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function homePaths(home: string): CortexPaths {
  return {
    mode: 'home',
    socket: join(home, 'cortex.sock'),
    dataDir: join(home, 'data'),
    configDir: join(home, 'config'),
  };
}

export function userPaths(home = homedir()): CortexPaths {
  return {
    mode: 'user',
    socket: join(home, '.local', 'run', 'cortex.sock'),
    dataDir: join(home, '.local', 'share', 'cortex'),
    configDir: join(home, '.config', 'cortex'),
  };
}

export const SYSTEM_PATHS: CortexPaths = {
  mode: 'system',
  socket: '/run/cortex/cortex.sock',
  dataDir: '/var/lib/cortex',
  configDir: '/etc/cortex',
};

/**
 * Written by a daemon stopped on purpose (`cortex stop`, or its unit), removed when
 * one starts: while it is there, clients do not start a daemon on demand.
 */
export function stoppedMarker(dataDir: string): string {
  return join(dataDir, 'stopped');
}

/**
 * The daemon's paths: `--home`, then `CORTEX_HOME`, then system mode (asked for,
 * or root with no home), then user mode; `--socket` overrides the socket.
 */
export function daemonPaths(options: { home?: string; socket?: string; system?: boolean }, env: Env): CortexPaths {
  const home = options.home ?? env['CORTEX_HOME'];
  const system = options.system === true || (!home && process.getuid?.() === 0);
  const paths = home ? homePaths(home) : system ? SYSTEM_PATHS : userPaths();
  return options.socket ? { ...paths, socket: options.socket } : paths;
}

/**
 * The socket a client talks to: `--socket`, then `CORTEX_SOCKET`, then the home's
 * (`--home` or `CORTEX_HOME`), then the user socket, then the system socket when
 * only that one exists.
 */
export function clientSocket(options: { home?: string; socket?: string }, env: Env): string {
  if (options.socket) return options.socket;
  const fromEnv = env['CORTEX_SOCKET'];
  if (fromEnv) return fromEnv;
  const home = options.home ?? env['CORTEX_HOME'];
  if (home) return homePaths(home).socket;
  if (process.getuid?.() === 0) return SYSTEM_PATHS.socket;
  const user = userPaths().socket;
  if (!existsSync(user) && existsSync(SYSTEM_PATHS.socket)) return SYSTEM_PATHS.socket;
  return user;
}
