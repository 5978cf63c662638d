import type { Database, Statement } from 'better-sqlite3';
import type { IdentityMapping } from '../../src/protocol/access-types.js';

/**
 * Which identities act as which local users of this node (`_identity_map`,
 * never replicated: each node decides for itself). Kept in memory too, so
 * resolving a caller costs a map lookup.
 */
export class IdentityMap {
  private readonly mappings = new Map<string, IdentityMapping>();
  private readonly upsert: Statement<[string, string, string, number]>;
  private readonly remove: Statement<[string]>;

  constructor(db: Database) {
    const rows = db
      .prepare('SELECT identity, local_user AS user, mapped_by, mapped FROM _identity_map')
      .all() as IdentityMapping[];
    for (const row of rows) this.mappings.set(row.identity, row);
    this.upsert = db.prepare(
      'INSERT OR REPLACE INTO _identity_map (identity, local_user, mapped_by, mapped) VALUES (?, ?, ?, ?)',
    );
    this.remove = db.prepare('DELETE FROM _identity_map WHERE identity = ?');
  }

  /** The local user's name that a full identity acts as, if it is mapped. */
  userOf(identity: string): string | undefined {
    return this.mappings.get(identity)?.user;
  }

  set(mapping: IdentityMapping): void {
    this.upsert.run(mapping.identity, mapping.user, mapping.mapped_by, mapping.mapped);
    this.mappings.set(mapping.identity, mapping);
  }

  /** Removes a mapping; returns it, or undefined when there was none. */
  delete(identity: string): IdentityMapping | undefined {
    const mapping = this.mappings.get(identity);
    if (mapping === undefined) return undefined;
    this.remove.run(identity);
    this.mappings.delete(identity);
    return mapping;
  }

  all(): IdentityMapping[] {
    return [...this.mappings.values()].sort((a, b) => (a.identity < b.identity ? -1 : 1));
  }
}
