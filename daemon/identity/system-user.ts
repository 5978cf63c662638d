import { userInfo } from 'node:os';
import { UserDirectory } from './user-directory.js';
import type { SystemUser } from './user-lookup.js';

export type { SystemUser } from './user-lookup.js';

/** The daemon's one view of the user database, shared by every check. */
const directory = new UserDirectory();

/** The account with this uid (through `getent`, so LDAP and the like count), or undefined when there is none. */
export function systemUserById(uid: number): SystemUser | undefined {
  return directory.byId(uid);
}

/** The account with this login name (`#UID`: that uid, known to the user database or not), or undefined. */
export function systemUserByName(name: string): SystemUser | undefined {
  if (/^#[0-9]+$/.test(name)) {
    const uid = Number(name.slice(1));
    return systemUserById(uid) ?? unknownUser(uid, uid);
  }
  return directory.byName(name);
}

/** A uid the user database does not know: its own primary group only, no home. */
export function unknownUser(uid: number, gid: number): SystemUser {
  return { uid, gid, groups: [gid], name: `#${uid}`, home: '/', shell: '/bin/sh' };
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
