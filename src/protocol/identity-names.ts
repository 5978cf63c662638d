import { IDENTITY_NAME } from './access-types.js';
import { NODE_NAME } from './store-types.js';

/**
 * Identities name their node: `KIND:NAME@NODE`. `user:alice@a` is the local
 * account alice of node a, `token:ci@a` a bearer token of node a,
 * `cert:alice@a` a client certificate (CN=alice) accepted by node a, and
 * `node:b` a peer. Ownership, grants and mappings hold the full form, so
 * `user:root@a` is never `user:root@b` and a certificate is never a user.
 */
export const IDENTITY_KINDS = ['user', 'token', 'cert', 'node'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** A user's NAME: a login name, or `#UID` for a uid the user database does not know. */
const USER_NAME = /^(#[0-9]{1,10}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}[$]?)$/;

export interface IdentityParts {
  kind: IdentityKind;
  name: string;
  node: string;
}

/**
 * Reads an identity as a person types it: the full form, or a short one for
 * the local node: `alice` is `user:alice@LOCAL`, `root@a` is `user:root@a`,
 * `token:ci` is `token:ci@LOCAL`. Undefined when it is not an identity.
 */
export function parseIdentity(text: string, localNode: string): IdentityParts | undefined {
  const colon = text.indexOf(':');
  const prefix = colon < 0 ? 'user' : text.slice(0, colon);
  if (!isKind(prefix)) return undefined;
  const rest = colon < 0 ? text : text.slice(colon + 1);
  if (prefix === 'node') return NODE_NAME.test(rest) ? { kind: prefix, name: rest, node: rest } : undefined;
  const at = rest.lastIndexOf('@');
  const name = at < 0 ? rest : rest.slice(0, at);
  const node = at < 0 ? localNode : rest.slice(at + 1);
  // A token's name or a CN may hold '@' (an e-mail address): the node is after the last one.
  if (!(prefix === 'user' ? USER_NAME : IDENTITY_NAME).test(name) || !NODE_NAME.test(node)) return undefined;
  return { kind: prefix, name, node };
}

/** The full form, `KIND:NAME@NODE` (`node:NAME` for a peer). */
export function formatIdentity({ kind, name, node }: IdentityParts): string {
  return kind === 'node' ? `node:${name}` : `${kind}:${name}@${node}`;
}

/** Whether the text is an identity in the full or the short form (checked at the RPC edge). */
export function isIdentityText(text: string): boolean {
  return text.length <= 256 && parseIdentity(text, 'local') !== undefined;
}

function isKind(text: string): text is IdentityKind {
  return (IDENTITY_KINDS as readonly string[]).includes(text);
}
