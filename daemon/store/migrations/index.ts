import type { Database } from 'better-sqlite3';
import { qualifyLegacyName } from '../../identity/legacy-names.js';

/** What a migration may need besides the database: this node's name, known at start. */
export interface MigrationContext {
  node: string;
}

/**
 * Numbered schema migrations. Each runs once, in order, inside a transaction,
 * and `PRAGMA user_version` records the last one applied. Never edit one that
 * has shipped: add the next.
 */
export type Migration = (db: Database, context: MigrationContext) => void;

export const migrations: readonly Migration[] = [
  function m1CatalogAndChangeLog(db) {
    db.exec(`
      CREATE TABLE _meta (
        name TEXT PRIMARY KEY,
        value ANY
      ) STRICT;

      -- One row per user table: its definition. The records live in "t_<name>".
      CREATE TABLE _tables (
        name TEXT PRIMARY KEY,
        attributes TEXT NOT NULL,  -- JSON array; the first is the key
        indexes TEXT NOT NULL,     -- JSON array
        replicate TEXT NOT NULL,
        owner TEXT NOT NULL,
        created INTEGER NOT NULL,
        hlc INTEGER NOT NULL,
        node TEXT NOT NULL
      ) STRICT;

      -- Every write appends here, in commit order; the mesh replicates from it.
      CREATE TABLE _changes (
        seq INTEGER PRIMARY KEY,
        tbl TEXT NOT NULL,
        k ANY NOT NULL,
        hlc INTEGER NOT NULL,
        node TEXT NOT NULL,
        op INTEGER NOT NULL        -- 0 put, 1 delete, 2 create table, 3 drop table
      ) STRICT;
    `);
  },

  function m2AccessControl(db) {
    db.exec(`
      -- Grants on user tables; owners and administrators need none. Local to this node.
      CREATE TABLE _acl (
        identity TEXT NOT NULL,
        tbl TEXT NOT NULL,
        perms INTEGER NOT NULL,    -- bit 1 read, bit 2 write
        granted_by TEXT NOT NULL,
        granted INTEGER NOT NULL,
        PRIMARY KEY (identity, tbl)
      ) STRICT, WITHOUT ROWID;

      -- Bearer tokens for TCP clients: only a hash of the secret is kept.
      CREATE TABLE _tokens (
        name TEXT PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        creator TEXT NOT NULL,
        created INTEGER NOT NULL,
        last_used INTEGER
      ) STRICT;
    `);
  },

  function m3Runtime(db) {
    db.exec(`
      CREATE TABLE _projects (
        name TEXT PRIMARY KEY,
        remote TEXT,
        checks TEXT NOT NULL,      -- JSON array of commands
        created INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE _workspaces (
        id TEXT PRIMARY KEY,
        node TEXT NOT NULL,
        path TEXT NOT NULL,
        project TEXT NOT NULL,
        owner TEXT NOT NULL,
        created INTEGER NOT NULL,
        UNIQUE (node, path)
      ) STRICT;

      CREATE TABLE _sessions (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT,
        options BLOB NOT NULL,     -- MessagePack map
        status TEXT NOT NULL,
        resume_ref TEXT,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        turns INTEGER NOT NULL,
        usage TEXT NOT NULL,       -- JSON TokenUsage, summed over turns
        owner TEXT NOT NULL
      ) STRICT;
      CREATE INDEX _sessions_workspace ON _sessions (workspace);

      -- Ordered per session; seq is assigned by the owning daemon, from 1, without gaps.
      CREATE TABLE _events (
        session TEXT NOT NULL,
        seq INTEGER NOT NULL,
        time INTEGER NOT NULL,
        turn INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload BLOB NOT NULL,     -- MessagePack
        PRIMARY KEY (session, seq)
      ) STRICT, WITHOUT ROWID;
    `);
  },

  function m4Mesh(db) {
    db.exec(`
      -- The change log again, now AUTOINCREMENT: peers keep checkpoints by seq, so a seq
      -- must never be reused, even after the newest entries are collected. "node" is the
      -- change's origin (the node that wrote it), "src" the peer it was received from
      -- (NULL for a local write), so a change is not sent back where it came from.
      CREATE TABLE _changes_m3 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tbl TEXT NOT NULL,
        k ANY NOT NULL,
        hlc INTEGER NOT NULL,
        node TEXT NOT NULL,
        op INTEGER NOT NULL,       -- 0 put, 1 delete, 2 create table, 3 drop table
        src TEXT
      ) STRICT;
      INSERT INTO _changes_m3 (seq, tbl, k, hlc, node, op) SELECT seq, tbl, k, hlc, node, op FROM _changes;
      DROP TABLE _changes;
      ALTER TABLE _changes_m3 RENAME TO _changes;

      -- Every node this one has linked with. "address" is where to redial it (only for
      -- links this node dialled); "acked" is how far into this node's change log the peer
      -- has confirmed (tombstone collection waits for it); "checkpoint" is how far into the
      -- peer's log this node has applied, written in the same transaction as the changes,
      -- and "seen" the furthest it ever got (a full resync starts again from 0).
      CREATE TABLE _peers (
        node TEXT PRIMARY KEY,
        address TEXT,
        dial INTEGER NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0,
        acked INTEGER NOT NULL DEFAULT 0,
        checkpoint INTEGER NOT NULL DEFAULT 0,
        seen INTEGER NOT NULL DEFAULT 0,
        last_seen INTEGER NOT NULL,
        synced_hlc INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      -- Per table, the newest tombstone version collected: an incoming version at or below
      -- it, for a key this node has no row for, may be a deleted record and is refused.
      CREATE TABLE _horizons (
        tbl TEXT PRIMARY KEY,
        hlc INTEGER NOT NULL,
        node TEXT NOT NULL
      ) STRICT;

      -- Dropped replicated tables: the drop's version and the policy it travels by, so a
      -- late definition of the dropped incarnation does not bring the table back.
      CREATE TABLE _dropped (
        tbl TEXT PRIMARY KEY,
        hlc INTEGER NOT NULL,
        node TEXT NOT NULL,
        replicate TEXT NOT NULL
      ) STRICT;
    `);
  },

  function m5TableIncarnations(db) {
    db.exec(`
      -- A table is an incarnation, not a name. Its id is the node that created it and the HLC
      -- of its creation, which is what every replica of it already holds in (node, hlc): a
      -- table two nodes shared before this migration gets the same id on both.
      ALTER TABLE _tables ADD COLUMN incarnation TEXT NOT NULL DEFAULT '';
      UPDATE _tables SET incarnation = node || ':' || hlc;
      CREATE UNIQUE INDEX _tables_incarnation ON _tables (incarnation);

      -- Dropped replicated tables, one row per dropped incarnation, so a late definition of it
      -- does not bring it back and its drop relays by its policy; "dropped_by" is who dropped it. A
      -- drop recorded before incarnations has incarnation '': it names no incarnation, drops
      -- nothing, and only refuses definitions of its table created before it.
      CREATE TABLE _dropped_m5 (
        tbl TEXT NOT NULL,
        incarnation TEXT NOT NULL,
        hlc INTEGER NOT NULL,
        node TEXT NOT NULL,
        replicate TEXT NOT NULL,
        dropped_by TEXT NOT NULL,
        PRIMARY KEY (tbl, incarnation)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO _dropped_m5 (tbl, incarnation, hlc, node, replicate, dropped_by)
        SELECT tbl, '', hlc, node, replicate, '' FROM _dropped;
      DROP TABLE _dropped;
      ALTER TABLE _dropped_m5 RENAME TO _dropped;

      -- Name clashes: another incarnation of a table this node holds, offered by a peer and
      -- refused. "seq" is the first change of the peer's log refused for it: once the clash is
      -- resolved here (the local table dropped), the peer's log is read again from there.
      CREATE TABLE _clashes (
        tbl TEXT NOT NULL,
        incarnation TEXT NOT NULL,
        node TEXT NOT NULL,
        owner TEXT NOT NULL,
        replicate TEXT NOT NULL,
        peer TEXT NOT NULL,
        seq INTEGER NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY (tbl, incarnation, peer)
      ) STRICT, WITHOUT ROWID;
      `);
  },

  function m6IdentitiesNameTheirNode(db, { node }) {
    // Owners and grantees become KIND:NAME@NODE. A table's owner is of the node that made the
    // table (its definition's node); a workspace's of its node; grants, token creators and
    // sessions are this node's own.
    const tokens = new Set(db.prepare('SELECT name FROM _tokens').pluck().all() as string[]);
    const qualify = (name: string, where: string) => qualifyLegacyName(name, where, (token) => tokens.has(token));
    const rewrite = (select: string, update: string, row: (values: Record<string, unknown>) => unknown[]) => {
      const statement = db.prepare(update);
      for (const values of db.prepare(select).all() as Record<string, unknown>[]) statement.run(...row(values));
    };
    rewrite('SELECT name, owner, node FROM _tables', 'UPDATE _tables SET owner = ? WHERE name = ?', (r) => [
      qualify(r['owner'] as string, r['node'] as string),
      r['name'],
    ]);
    rewrite(
      'SELECT identity, tbl, granted_by FROM _acl',
      'UPDATE _acl SET identity = ?, granted_by = ? WHERE identity = ? AND tbl = ?',
      (r) => [
        qualify(r['identity'] as string, node),
        qualify(r['granted_by'] as string, node),
        r['identity'],
        r['tbl'],
      ],
    );
    rewrite('SELECT name, creator FROM _tokens', 'UPDATE _tokens SET creator = ? WHERE name = ?', (r) => [
      qualify(r['creator'] as string, node),
      r['name'],
    ]);
    rewrite('SELECT id, owner, node FROM _workspaces', 'UPDATE _workspaces SET owner = ? WHERE id = ?', (r) => [
      qualify(r['owner'] as string, r['node'] as string),
      r['id'],
    ]);
    rewrite('SELECT id, owner FROM _sessions', 'UPDATE _sessions SET owner = ? WHERE id = ?', (r) => [
      qualify(r['owner'] as string, node),
      r['id'],
    ]);
  },

  function m7IdentityMap(db) {
    db.exec(`
      -- Identities (remote users, tokens, certificates) that act as a local user of this node.
      -- Local to this node: each node decides what others' identities may do on it.
      CREATE TABLE _identity_map (
        identity TEXT PRIMARY KEY,   -- KIND:NAME@NODE
        local_user TEXT NOT NULL,    -- a login name of this node
        mapped_by TEXT NOT NULL,
        mapped INTEGER NOT NULL
      ) STRICT;
    `);
  },

  function m8RowsAreTheirOwnLogEntries(db) {
    // A row's put or delete entry moves into the row (seq, src), under an index on seq that covers
    // what the log reads; only table creations and drops stay in _changes. A row whose entry is missing gets a new seq past the
    // head, so it is sent again rather than never. The head is kept in _meta: entries removed here
    // may include the newest, and a seq must never be handed out twice.
    const tables = db
      .prepare("SELECT name FROM _tables WHERE 't_' || name IN (SELECT name FROM sqlite_master WHERE type = 'table')")
      .pluck()
      .all() as string[];
    db.exec('CREATE INDEX _changes_m8 ON _changes (tbl, k, seq)');
    let head = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = '_changes'").pluck().get() as number) ?? 0;
    for (const name of tables) {
      const table = `"t_${name}"`;
      db.exec(`ALTER TABLE ${table} ADD COLUMN seq INTEGER NOT NULL DEFAULT 0`);
      db.exec(`ALTER TABLE ${table} ADD COLUMN src TEXT`);
      db.prepare(
        `UPDATE ${table} SET (seq, src) = (SELECT c.seq, c.src FROM _changes c
           WHERE c.tbl = ? AND c.k = ${table}.k AND c.op IN (0, 1) ORDER BY c.seq DESC LIMIT 1)
         WHERE EXISTS (SELECT 1 FROM _changes c WHERE c.tbl = ? AND c.k = ${table}.k AND c.op IN (0, 1))`,
      ).run(name, name);
      const unlogged = db.prepare(`SELECT k FROM ${table} WHERE seq = 0`).pluck().all();
      const stamp = db.prepare(`UPDATE ${table} SET seq = ? WHERE k = ?`);
      for (const key of unlogged) stamp.run(++head, key);
      db.exec(`CREATE INDEX "q_${name}" ON ${table} (seq, hlc, node, del, src)`);
    }
    db.exec('DROP INDEX _changes_m8');
    db.exec('DELETE FROM _changes WHERE op IN (0, 1)');
    db.prepare("INSERT OR REPLACE INTO _meta (name, value) VALUES ('log_head', ?)").run(head);
  },
];

export const SCHEMA_VERSION = migrations.length;

export function migrate(db: Database, context: MigrationContext): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `The database is at schema version ${current}, newer than this cortex (${migrations.length}); upgrade cortex.`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      migrations[version]!(db, context);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
