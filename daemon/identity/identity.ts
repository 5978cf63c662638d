/**
 * Who is calling. ACLs name identities by `name`: a user name for local
 * callers (from SO_PEERCRED), a token's name, or a client certificate's CN.
 */
export interface Identity {
  name: string;
  /**
   * `mesh`: a caller of another node, through query_mesh or a call forwarded over the
   * mesh (daemon/access/forwarded-identity.ts); this node's ACLs and mappings apply.
   */
  via: 'unix' | 'token' | 'certificate' | 'mesh' | 'none';
  /** For a forwarded call: the node the caller is on, and its full identity there (`user:alice@a`). */
  origin?: { node: string; identity: string };
  /** Local callers only. */
  uid?: number;
  pid?: number;
  /** The daemon's owner and root administer everything. */
  admin: boolean;
}

/** A TCP caller that has not authenticated yet: only `ping` and `auth` are open to it. */
export const ANONYMOUS: Identity = { name: 'anonymous', via: 'none', admin: false };
