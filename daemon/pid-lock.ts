import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { CortexError } from '../src/protocol/errors.js';
import { isAlive } from '../src/process-alive.js';

/**
 * One daemon per data directory: a lock file holding the owner's pid, created
 * exclusively. A lock whose pid is no longer alive (a daemon killed with -9) is
 * stale and taken over.
 */
export class PidLock {
  private constructor(private readonly path: string) {}

  static acquire(path: string): PidLock {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return new PidLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(path);
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
        throw new CortexError(
          'EBUSY',
          `Another cortex daemon (pid ${holder}) is already running on this data directory.`,
        );
      }
      try {
        unlinkSync(path);
      } catch {
        // Another starter removed it first; try again.
      }
    }
    throw new CortexError('EBUSY', `Could not take the lock ${path}; another daemon is starting.`);
  }

  release(): void {
    try {
      if (readHolder(this.path) === process.pid) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
