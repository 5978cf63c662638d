import { formatIdentity } from '../../src/protocol/identity-names.js';
import { identityOf } from './identity.js';

const LEGACY_UID = /^user:([0-9]{1,10})$/;
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}[$]?$/;

/**
 * An owner or grantee stored before identities named their node (`alice`,
 * `user:1000`, a token's name, a certificate's CN) as a full identity of
 * `node`. The old names did not say their kind: a name a user could have is
 * taken to be that local user (the owner of most tables), a name no user can
 * have (`@`, `:`) a token when `isToken` says so, else a certificate. A name
 * that is already full is kept.
 */
export function qualifyLegacyName(name: string, node: string, isToken: (name: string) => boolean): string {
  if (identityOf(name) !== undefined) return name;
  const uid = LEGACY_UID.exec(name)?.[1];
  if (uid !== undefined) return formatIdentity({ kind: 'user', name: `#${uid}`, node });
  if (USER_NAME.test(name)) return formatIdentity({ kind: 'user', name, node });
  return formatIdentity({ kind: isToken(name) ? 'token' : 'cert', name, node });
}
