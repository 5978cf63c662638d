export type Permission = 'read' | 'write';

export interface Grant {
  /** The full identity, `KIND:NAME@NODE`. */
  identity: string;
  table: string;
  permissions: Permission[];
  granted_by: string;
  /** Milliseconds since the epoch. */
  granted: number;
}

/** A token's name or a certificate's CN: the NAME of `token:NAME@NODE` and `cert:NAME@NODE` (see identity-names.ts). */
export const IDENTITY_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@:-]{0,127}$/;

/** A remote identity (or a token or certificate) allowed to act as one of this node's local users. */
export interface IdentityMapping {
  /** The full identity, `KIND:NAME@NODE`. */
  identity: string;
  /** The local account it acts as. */
  user: string;
  mapped_by: string;
  /** Milliseconds since the epoch. */
  mapped: number;
}
