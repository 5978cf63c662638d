/**
 * Who is calling. ACLs name identities by `name`: a user name for local
 * callers (from SO_PEERCRED), a token's name, or a client certificate's CN.
 */
export interface Identity {
  name: string;
  /** `mesh`: a user of another node, asking through query_mesh; ACLs here apply to its name. */
  via: 'unix' | 'token' | 'certificate' | 'mesh' | 'none';
  /** Local callers only. */
  uid?: number;
  pid?: number;
  /** The daemon's owner and root administer everything. */
  admin: boolean;
}

/** A TCP caller that has not authenticated yet: only `ping` and `auth` are open to it. */
export const ANONYMOUS: Identity = { name: 'anonymous', via: 'none', admin: false };
