import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import type { Identity } from './identity.js';

/** A local account, as the system's user database (NSS) knows it. */
export interface SystemUser {
  uid: number;
  gid: number;
  name: string;
  home: string;
  shell: string;
}

const cache = new Map<number, SystemUser | null>();

/** The account with this uid (through `getent`, so LDAP and the like count), or undefined when there is none. */
export function systemUser(uid: number): SystemUser | undefined {
  let user = cache.get(uid);
  if (user === undefined) {
    user = lookup(uid);
    cache.set(uid, user);
  }
  return user ?? undefined;
}

function lookup(uid: number): SystemUser | null {
  try {
    const entry = execFileSync('getent', ['passwd', String(uid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    const [name, , , gid, , home, shell] = entry.split(':');
    if (name === undefined || gid === undefined) return null;
    return { uid, gid: Number(gid), name, home: home || '/', shell: shell || '/bin/sh' };
  } catch {
    if (uid !== process.getuid?.()) return null;
    const me = userInfo();
    return { uid, gid: me.gid, name: me.username, home: me.homedir, shell: me.shell ?? '/bin/sh' };
  }
}

const byName = new Map<string, SystemUser | null>();

/** The account with this login name (through `getent`), or undefined when there is none. */
export function systemUserByName(name: string): SystemUser | undefined {
  let user = byName.get(name);
  if (user === undefined) {
    user = lookupName(name);
    byName.set(name, user);
  }
  return user ?? undefined;
}

function lookupName(name: string): SystemUser | null {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(name)) return null;
  try {
    const entry = execFileSync('getent', ['passwd', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    const [, , uid, gid, , home, shell] = entry.split(':');
    if (uid === undefined || gid === undefined) return null;
    return { uid: Number(uid), gid: Number(gid), name, home: home || '/', shell: shell || '/bin/sh' };
  } catch {
    return null;
  }
}

export function daemonIsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Whom work done for a caller should run as: when the daemon runs as root, a
 * local caller other than root gets its own uid (the kernel then checks its
 * permissions, as for any program it runs); otherwise undefined, the daemon's
 * own user. An unknown uid still gets that uid, with its number as the group.
 */
export function runAsCaller(identity: Identity): SystemUser | undefined {
  if (!daemonIsRoot() || identity.uid === undefined || identity.uid === 0) return undefined;
  return (
    systemUser(identity.uid) ?? {
      uid: identity.uid,
      gid: identity.uid,
      name: `user:${identity.uid}`,
      home: '/',
      shell: '/bin/sh',
    }
  );
}

/** The user the daemon itself runs as. */
export function daemonUser(): SystemUser {
  const uid = process.getuid?.() ?? 0;
  return (
    systemUser(uid) ?? {
      uid,
      gid: process.getgid?.() ?? 0,
      name: userInfo().username,
      home: userInfo().homedir,
      shell: '/bin/sh',
    }
  );
}
