export type Permission = 'read' | 'write';

export interface Grant {
  identity: string;
  table: string;
  permissions: Permission[];
  granted_by: string;
  /** Milliseconds since the epoch. */
  granted: number;
}

/** An identity as ACLs name it: a user name, `user:UID`, a token name or a certificate CN. */
export const IDENTITY_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@:-]{0,127}$/;
