import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';

/** A local account, as the system's user database (NSS) knows it. */
export interface SystemUser {
  uid: number;
  gid: number;
  /** Supplementary groups (the primary one included), as a login would get them. */
  groups: number[];
  /** The login name, or `#UID` for a uid the user database does not know. */
  name: string;
  home: string;
  shell: string;
}

/** How long a looked-up account is reused: a change of groups or shell is seen after this. */
const TTL_MS = 60_000;
const cache = new Map<string, { at: number; user: SystemUser | null }>();

/** The account with this uid (through `getent`, so LDAP and the like count), or undefined when there is none. */
export function systemUserById(uid: number): SystemUser | undefined {
  return cached(`#${uid}`, () => lookup(String(uid), undefined));
}

/** The account with this login name (`#UID`: that uid, known to the user database or not), or undefined. */
export function systemUserByName(name: string): SystemUser | undefined {
  if (/^#[0-9]+$/.test(name)) {
    const uid = Number(name.slice(1));
    return systemUserById(uid) ?? unknownUser(uid, uid);
  }
  return cached(name, () => lookup(name, name));
}

function cached(key: string, find: () => SystemUser | null): SystemUser | undefined {
  const hit = cache.get(key);
  if (hit !== undefined && Date.now() - hit.at < TTL_MS) return hit.user ?? undefined;
  const user = find();
  cache.set(key, { at: Date.now(), user });
  return user ?? undefined;
}

function lookup(key: string, expectedName: string | undefined): SystemUser | null {
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', key], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
  } catch {
    return null;
  }
  const [name, , uid, gid, , home, shell] = entry.split('\n')[0]!.split(':');
  if (name === undefined || uid === undefined || gid === undefined) return null;
  // getent reads a key of digits as a uid: a login name that is all digits must come back as itself.
  if (expectedName !== undefined && name !== expectedName) return null;
  return {
    uid: Number(uid),
    gid: Number(gid),
    groups: groupsOf(name, Number(gid)),
    name,
    home: home || '/',
    shell: shell || '/bin/sh',
  };
}

function groupsOf(name: string, gid: number): number[] {
  const groups = new Set([gid]);
  try {
    const ids = execFileSync('id', ['-G', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const id of ids.trim().split(/\s+/)) if (id) groups.add(Number(id));
  } catch {
    // Unknown to the group database: its primary group only.
  }
  return [...groups];
}

/** A uid the user database does not know: its own primary group only, no home. */
export function unknownUser(uid: number, gid: number): SystemUser {
  return { uid, gid, groups: [gid], name: `#${uid}`, home: '/', shell: '/bin/sh' };
}

export function daemonIsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The user the daemon itself runs as. */
export function daemonUser(): SystemUser {
  const uid = process.getuid?.() ?? 0;
  const me = userInfo();
  return (
    systemUserById(uid) ?? {
      uid,
      gid: process.getgid?.() ?? 0,
      groups: process.getgroups?.() ?? [],
      name: me.username,
      home: me.homedir,
      shell: me.shell ?? '/bin/sh',
    }
  );
}
