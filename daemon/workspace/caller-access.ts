import { type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { Authority } from '../access/authority.js';
import type { Identity } from '../identity/identity.js';
import type { SystemUser } from '../identity/system-user.js';

type Want = 'read' | 'write';

/**
 * File access on behalf of a local user when the daemon runs as root. The
 * daemon itself could read anything, so before it reads or writes a file for a
 * caller it checks that the caller could: search permission on every directory
 * on the way, then read or write permission on the file (or write on the
 * directory for a new file), by the owner, group and other bits with the
 * caller's supplementary groups. POSIX ACLs are not consulted.
 */
export class CallerAccess {
  /** Throws EACCES unless `user` may `want` the file at `real` (or create it, when it does not exist). */
  check(user: SystemUser | undefined, real: string, want: Want, shown: string): void {
    if (user === undefined) return;
    const target = statOrUndefined(real);
    const directories = ancestors(target?.isDirectory() && want === 'read' ? real : dirname(real));
    for (const directory of directories) {
      const stats = statOrUndefined(directory);
      if (stats && !this.allows(user, stats, 1)) this.deny(user, shown, want);
    }
    if (target) {
      const bits = target.isDirectory() ? (want === 'read' ? 5 : 3) : want === 'read' ? 4 : 2;
      if (!this.allows(user, target, bits)) this.deny(user, shown, want);
    } else {
      const parent = statOrUndefined(nearestExisting(dirname(real)));
      if (parent && !this.allows(user, parent, 3)) this.deny(user, shown, want);
    }
  }

  private allows(user: SystemUser, stats: Stats, bits: number): boolean {
    const inGroup = stats.gid === user.gid || user.groups.includes(stats.gid);
    const mode = stats.uid === user.uid ? stats.mode >> 6 : inGroup ? stats.mode >> 3 : stats.mode;
    return (mode & bits) === bits;
  }

  private deny(user: SystemUser, shown: string, want: Want): never {
    throw new CortexError('EACCES', `${user.name} may not ${want} ${shown} (file permissions).`);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function nearestExisting(path: string): string {
  let current = path;
  while (statOrUndefined(current) === undefined && dirname(current) !== current) current = dirname(current);
  return current;
}

/** `/a/b/c` → `/`, `/a`, `/a/b`, `/a/b/c`. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    out.unshift(current);
    if (dirname(current) === current) return out;
  }
}

/**
 * A workspace is made only by a caller with a local user here (its files are
 * used as that user), and, where the daemon runs as root, only of a directory
 * that user owns unless it is an administrator: the daemon reads and snapshots
 * workspaces with its own rights, so `/etc` must not become anybody's.
 */
export function requireOwnDirectory(path: string, identity: Identity, authority: Authority): void {
  const user = authority.runAs(identity);
  if (user === undefined || authority.isAdmin(identity)) return;
  const stats = statOrUndefined(path);
  if (stats !== undefined && stats.uid !== user.uid) {
    throw new CortexError(
      'EACCES',
      `${identity.name} may not make a workspace of ${path}: it belongs to uid ${stats.uid}, and a workspace must be a directory of your own.`,
    );
  }
}
