import { delimiter, join } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { SystemUser } from './system-user.js';
import { isExecutable } from '../executable.js';

/** A program to start, as it must be started to run as someone. */
export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

let setprivPath: string | null | undefined;

/**
 * How to start `command` as `user` (undefined: as the daemon itself). The
 * switch goes through util-linux's `setpriv`, which sets the uid, the gid and
 * the supplementary groups before it execs the command: Node's
 * `spawn({uid, gid})` clears the supplementary groups, and node-pty keeps the
 * daemon's (root's group 0 included), so neither is used for it. HOME, USER,
 * LOGNAME and SHELL are the user's.
 */
export function launchAs(
  user: SystemUser | undefined,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Launch {
  if (user === undefined) return { command, args: [...args], env };
  const setpriv = findSetpriv();
  const groups = user.groups.length === 0 ? ['--clear-groups'] : ['--groups', user.groups.join(',')];
  return {
    command: setpriv,
    args: ['--reuid', String(user.uid), '--regid', String(user.gid), ...groups, '--', command, ...args],
    env: { ...env, HOME: user.home, USER: user.name, LOGNAME: user.name, SHELL: user.shell },
  };
}

function findSetpriv(): string {
  if (setprivPath === undefined) {
    const directories = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', ...(process.env['PATH'] ?? '').split(delimiter)];
    setprivPath = directories.map((directory) => join(directory, 'setpriv')).find(isExecutable) ?? null;
  }
  if (setprivPath === null) {
    throw new CortexError(
      'EACCES',
      "setpriv (util-linux) is not installed, and the daemon runs no user's work as root: install util-linux.",
    );
  }
  return setprivPath;
}
