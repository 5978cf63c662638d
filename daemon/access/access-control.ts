import type { Database, Statement } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import type { Grant, Permission } from '../../src/protocol/access-types.js';
import type { Identity } from '../identity/identity.js';
import type { TableCatalog } from '../store/table-catalog.js';
import type { WriteApart } from '../store/write-batcher.js';
import type { Authority } from './authority.js';

const BITS: Record<Permission, number> = { read: 1, write: 2 };

function toPermissions(mask: number): Permission[] {
  return (['read', 'write'] as const).filter((permission) => mask & BITS[permission]);
}

function toMask(permissions: readonly Permission[]): number {
  return permissions.reduce((mask, permission) => mask | BITS[permission], 0);
}

interface GrantRow {
  identity: string;
  tbl: string;
  perms: number;
  granted_by: string;
  granted: number;
}

/**
 * Per-table ACLs. The creator of a table has full access to it, administrators
 * (see Authority) to everything, anyone else only what was granted to its full
 * identity (or to the local user it is mapped onto). Grants live in `_acl` and
 * in memory, so a check costs a map lookup.
 */
export class AccessControl {
  /**
   * Grants by identity, then table. Two lookups of strings the caller already has: a joined key
   * would be a new string on every check, flattened and hashed each time (full identities are
   * long enough for V8 to build them as cons strings), which cost more than the rest of the check.
   */
  private readonly grants = new Map<string, Map<string, GrantRow>>();
  private readonly upsert: Statement<[string, string, number, string, number]>;
  private readonly remove: Statement<[string, string]>;
  private readonly removeTable: Statement<[string]>;

  constructor(
    db: Database,
    private readonly catalog: TableCatalog,
    readonly authority: Authority,
    /** Grants are written apart from the group commit, durable before their answer leaves. */
    private readonly apart: WriteApart,
  ) {
    for (const row of db.prepare('SELECT identity, tbl, perms, granted_by, granted FROM _acl').all() as GrantRow[]) {
      this.remember(row);
    }
    this.upsert = db.prepare(
      'INSERT OR REPLACE INTO _acl (identity, tbl, perms, granted_by, granted) VALUES (?, ?, ?, ?, ?)',
    );
    this.remove = db.prepare('DELETE FROM _acl WHERE identity = ? AND tbl = ?');
    this.removeTable = db.prepare('DELETE FROM _acl WHERE tbl = ?');
  }

  /** Throws EACCES unless `identity` holds `permission` on `table` (ENOTFOUND first, for a missing table). */
  require(identity: Identity, table: string, permission: Permission): void {
    if (this.authority.isAdmin(identity)) return;
    if (table.startsWith('_')) {
      throw new CortexError(
        'EACCES',
        `${identity.name} may not ${permission} ${table}: system tables are for administrators.`,
      );
    }
    if (this.granted(identity, table, permission)) return;
    throw new CortexError('EACCES', `${identity.name} may not ${permission} ${table} (no ${permission} permission).`);
  }

  allows(identity: Identity, table: string, permission: Permission): boolean {
    return this.authority.isAdmin(identity) || this.granted(identity, table, permission);
  }

  /** Whether the identity, or the local user it is mapped onto, owns the table or was granted `permission`. */
  private granted(identity: Identity, table: string, permission: Permission): boolean {
    const { owner } = this.catalog.handle(table).info;
    if (this.grantedTo(identity.name, owner, table, permission)) return true;
    const mapped = this.authority.mappedName(identity);
    return mapped !== undefined && this.grantedTo(mapped, owner, table, permission);
  }

  private grantedTo(name: string, owner: string, table: string, permission: Permission): boolean {
    if (owner === name) return true;
    const grant = this.grants.get(name)?.get(table);
    return grant !== undefined && (grant.perms & BITS[permission]) !== 0;
  }

  /** Dropping a table, grants and revokes need the table's ownership or an administrator. */
  requireOwner(identity: Identity, table: string, action: string): void {
    const info = this.catalog.handle(table).info;
    if (this.authority.mayUse(identity, info.owner)) return;
    throw new CortexError(
      'EACCES',
      `${identity.name} may not ${action} ${table}: only its owner (${info.owner}) or an administrator may.`,
    );
  }

  /** Grants to `who`, an identity as typed (`alice`, `root@a`, `token:ci`): stored in full. */
  grant(by: Identity, typed: string, table: string, permissions: readonly Permission[]): Grant {
    this.requireOwner(by, table, 'grant access to');
    const who = this.authority.qualify(typed);
    const mask = (this.grants.get(who)?.get(table)?.perms ?? 0) | toMask(permissions);
    const row = { identity: who, tbl: table, perms: mask, granted_by: by.name, granted: Date.now() };
    this.save(row);
    this.remember(row);
    return toGrant(row);
  }

  /** Removes the given permissions (all when none are given); returns what is left. */
  revoke(by: Identity, typed: string, table: string, permissions?: readonly Permission[]): Grant {
    this.requireOwner(by, table, 'revoke access to');
    const who = this.authority.qualify(typed);
    const current = this.grants.get(who)?.get(table);
    const mask = current ? current.perms & ~toMask(permissions ?? ['read', 'write']) : 0;
    if (current && mask === 0) {
      this.apart(() => this.remove.run(who, table));
      this.grants.get(who)?.delete(table);
    } else if (current) {
      this.save({ ...current, perms: mask });
    }
    return { identity: who, table, permissions: toPermissions(mask), granted_by: by.name, granted: Date.now() };
  }

  /** The grants a caller may see: all for administrators, else those on its own tables and those naming it. */
  list(by: Identity, typed?: string): Grant[] {
    const who = typed === undefined ? undefined : this.authority.qualify(typed);
    const admin = this.authority.isAdmin(by);
    return [...this.grants.values()]
      .flatMap((tables) => [...tables.values()])
      .filter((row) => who === undefined || row.identity === who)
      .filter(
        (row) =>
          admin ||
          this.authority.holds(by, row.identity) ||
          (this.catalog.has(row.tbl) && this.authority.holds(by, this.catalog.handle(row.tbl).info.owner)),
      )
      .map(toGrant)
      .sort((a, b) => (a.table === b.table ? (a.identity < b.identity ? -1 : 1) : a.table < b.table ? -1 : 1));
  }

  /** Drops every grant on a table that no longer exists. */
  forgetTable(table: string): void {
    this.apart(() => this.removeTable.run(table));
    for (const tables of this.grants.values()) tables.delete(table);
  }

  /** Writes a grant and remembers it. */
  private save(row: GrantRow): void {
    this.apart(() => this.upsert.run(row.identity, row.tbl, row.perms, row.granted_by, row.granted));
    this.remember(row);
  }

  private remember(row: GrantRow): void {
    let tables = this.grants.get(row.identity);
    if (tables === undefined) {
      tables = new Map();
      this.grants.set(row.identity, tables);
    }
    tables.set(row.tbl, row);
  }
}

function toGrant(row: GrantRow): Grant {
  return {
    identity: row.identity,
    table: row.tbl,
    permissions: toPermissions(row.perms),
    granted_by: row.granted_by,
    granted: row.granted,
  };
}
