import { execFile, execFileSync } from 'node:child_process';

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

/**
 * One look-up of an account by uid or login name (`query`), through `getent`
 * so LDAP and the like count, then `id -G` for its groups. `expectedName` is
 * set for a look-up by name. Every failure is `null`: no account, no access.
 */
export interface UserLookup {
  /** Blocks the event loop while getent and id run: for an account that has no answer yet. */
  now(query: string, expectedName: string | undefined): SystemUser | null;
  /** The same, without blocking. */
  later(query: string, expectedName: string | undefined): Promise<SystemUser | null>;
}

/** Beyond this a hung user database (a dead LDAP server) counts as no account. */
const TIMEOUT_MS = 5000;
const OPTIONS = { encoding: 'utf8', timeout: TIMEOUT_MS } as const;

export const getentLookup: UserLookup = {
  now(query, expectedName) {
    const entry = runNow('getent', ['passwd', query]);
    const account = entry === undefined ? undefined : parsePasswd(entry, expectedName);
    if (account === undefined) return null;
    return withGroups(account, runNow('id', ['-G', account.name]));
  },
  async later(query, expectedName) {
    const entry = await runLater('getent', ['passwd', query]);
    const account = entry === undefined ? undefined : parsePasswd(entry, expectedName);
    if (account === undefined) return null;
    return withGroups(account, await runLater('id', ['-G', account.name]));
  },
};

/** A program's output, or undefined when it failed (getent exits 2 for no such key). */
function runNow(file: string, args: string[]): string | undefined {
  try {
    return execFileSync(file, args, { ...OPTIONS, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

function runLater(file: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, OPTIONS, (error, stdout) => resolve(error === null ? stdout : undefined));
  });
}

type Account = Omit<SystemUser, 'groups'>;

function parsePasswd(entry: string, expectedName: string | undefined): Account | undefined {
  const [name, , uid, gid, , home, shell] = entry.trim().split('\n')[0]!.split(':');
  if (name === undefined || uid === undefined || gid === undefined) return undefined;
  // getent reads a key of digits as a uid: a login name that is all digits must come back as itself.
  if (expectedName !== undefined && name !== expectedName) return undefined;
  return { uid: Number(uid), gid: Number(gid), name, home: home || '/', shell: shell || '/bin/sh' };
}

/** Unknown to the group database (`id` failed): its primary group only. */
function withGroups(account: Account, ids: string | undefined): SystemUser {
  const groups = new Set([account.gid]);
  for (const id of ids?.trim().split(/\s+/) ?? []) if (id) groups.add(Number(id));
  return { ...account, groups: [...groups] };
}
