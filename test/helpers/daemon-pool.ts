import { after } from 'node:test';
import { type CliResult, runCortex } from './cli.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from './daemon.js';

export interface DaemonPool {
  /** A folder for the test's files, removed with the daemons. */
  work: { path: string; remove: () => void };
  /** A new daemon on its own home. */
  fresh: () => Promise<DaemonHandle>;
  /** `cortex --home <daemon's home> ...args`. */
  on: (daemon: DaemonHandle, ...args: string[]) => Promise<CliResult>;
}

/** Daemons started as a test needs them; the enclosing suite's `after` stops them all and removes the folder. */
export function daemonPool(prefix: string): DaemonPool {
  const work = tempDir(prefix);
  const daemons: DaemonHandle[] = [];
  after(async () => {
    for (const daemon of daemons) await cleanup(daemon);
    work.remove();
  });
  return {
    work,
    fresh: async () => {
      const daemon = await startDaemon();
      daemons.push(daemon);
      return daemon;
    },
    on: (daemon, ...args) => runCortex(['--home', daemon.home, ...args]),
  };
}
