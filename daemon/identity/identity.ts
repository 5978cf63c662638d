import { formatIdentity, type IdentityKind, parseIdentity } from '../../src/protocol/identity-names.js';

/**
 * Who is calling. `name` is the full identity, `KIND:NAME@NODE`: what
 * ownership, grants and mappings hold and what messages show. What an identity
 * may do is for daemon/access/ to say; this is only who it is.
 */
export interface Identity {
  /** `user:alice@a`, `token:ci@a`, `cert:alice@a`, `node:b`; `anonymous` before a TCP client authenticates. */
  readonly name: string;
  readonly kind: IdentityKind | 'anonymous';
  /** The node that vouches for it: where the account, token or certificate is known. */
  readonly node: string;
  /** A local caller as the kernel saw it (SO_PEERCRED). */
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly pid: number | undefined;
  /** Set when every call of the connection is refused, and says why (a local caller the kernel could not name). */
  readonly refusal: string | undefined;
}

/** Every identity has every field, in one order: checks on the get path then see one object shape. */
function identity(name: string, kind: Identity['kind'], node: string, local?: Partial<Identity>): Identity {
  return {
    name,
    kind,
    node,
    uid: local?.uid,
    gid: local?.gid,
    pid: local?.pid,
    refusal: local?.refusal,
  };
}

/** A TCP caller that has not authenticated yet: only `ping` and `auth` are open to it. */
export const ANONYMOUS: Identity = identity('anonymous', 'anonymous', '');

/** A local caller whose kernel identity could not be read: refused, never promoted. */
export function unidentified(reason: string): Identity {
  return identity('unidentified', 'anonymous', '', {
    refusal: `The daemon could not tell who you are (${reason}), so it refuses this connection's calls.`,
  });
}

/** A local account of `node`, as the kernel named it; `name` is `#UID` for a uid the user database lacks. */
export function localUser(
  node: string,
  account: { name: string | null; uid: number; gid: number; pid?: number | undefined },
): Identity {
  const name = account.name ?? `#${account.uid}`;
  const { uid, gid, pid } = account;
  return identity(formatIdentity({ kind: 'user', name, node }), 'user', node, { uid, gid, pid });
}

/** A token or a client certificate accepted by `node`. */
export function credentialIdentity(kind: 'token' | 'cert', name: string, node: string): Identity {
  return identity(formatIdentity({ kind, name, node }), kind, node);
}

/**
 * An identity as stored or sent by a peer (the full form). Undefined when the
 * text is not one: a stored owner that does not parse owns nothing.
 */
export function identityOf(full: string): Identity | undefined {
  const parts = parseIdentity(full, '');
  if (parts === undefined || formatIdentity(parts) !== full) return undefined;
  return identity(full, parts.kind, parts.node);
}
