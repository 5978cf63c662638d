import type { Database, Statement } from 'better-sqlite3';
import type { IdentityMapping } from '../../src/protocol/access-types.js';
import { formatIdentity } from '../../src/protocol/identity-names.js';
import { systemUserByName } from '../identity/system-user.js';
import type { WriteApart } from '../store/write-batcher.js';

/** A mapping as checks use it: resolved once, when made or loaded, so no check looks anything up. */
export interface ResolvedMapping {
  mapping: IdentityMapping;
  /** The local user's full identity, `user:NAME@THIS_NODE`. */
  localName: string;
  /** Its uid when it was mapped or the daemon started (undefined: no such user then). */
  uid: number | undefined;
}

/**
 * Which identities act as which local users of this node (`_identity_map`,
 * never replicated: each node decides for itself). Kept in memory too, so
 * resolving a caller costs a map lookup.
 */
export class IdentityMap {
  private readonly mappings = new Map<string, ResolvedMapping>();
  private readonly upsert: Statement<[string, string, string, number]>;
  private readonly remove: Statement<[string]>;

  constructor(
    db: Database,
    private readonly node: string,
    /** Mappings are written apart from the group commit, durable before their answer leaves. */
    private readonly apart: WriteApart,
  ) {
    const rows = db
      .prepare('SELECT identity, local_user AS user, mapped_by, mapped FROM _identity_map')
      .all() as IdentityMapping[];
    for (const row of rows) this.mappings.set(row.identity, this.resolve(row));
    this.upsert = db.prepare(
      'INSERT OR REPLACE INTO _identity_map (identity, local_user, mapped_by, mapped) VALUES (?, ?, ?, ?)',
    );
    this.remove = db.prepare('DELETE FROM _identity_map WHERE identity = ?');
  }

  /** What a full identity is mapped onto, if it is. */
  get(identity: string): ResolvedMapping | undefined {
    return this.mappings.get(identity);
  }

  set(mapping: IdentityMapping): void {
    this.apart(() => this.upsert.run(mapping.identity, mapping.user, mapping.mapped_by, mapping.mapped));
    this.mappings.set(mapping.identity, this.resolve(mapping));
  }

  /** Removes a mapping; returns it, or undefined when there was none. */
  delete(identity: string): IdentityMapping | undefined {
    const resolved = this.mappings.get(identity);
    if (resolved === undefined) return undefined;
    this.apart(() => this.remove.run(identity));
    this.mappings.delete(identity);
    return resolved.mapping;
  }

  all(): IdentityMapping[] {
    return [...this.mappings.values()]
      .map((resolved) => resolved.mapping)
      .sort((a, b) => (a.identity < b.identity ? -1 : 1));
  }

  private resolve(mapping: IdentityMapping): ResolvedMapping {
    return {
      mapping,
      localName: formatIdentity({ kind: 'user', name: mapping.user, node: this.node }),
      uid: systemUserByName(mapping.user)?.uid,
    };
  }
}
