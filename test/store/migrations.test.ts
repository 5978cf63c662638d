import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { migrate, migrations, SCHEMA_VERSION } from '../../daemon/store/migrations/index.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { Store } from '../../daemon/store/store.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { tempDir } from '../helpers/daemon.js';

const CONTEXT = { node: 'n' };

describe('schema migrations', () => {
  it('migration 1 creates the catalog, the change log and records the version', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      migrations[0]!(db, CONTEXT);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, ['_changes', '_meta', '_tables']);
      db.pragma('user_version = 1');
      migrate(db, CONTEXT);
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      // STRICT tables refuse a value of the wrong type.
      assert.throws(() =>
        db.prepare("INSERT INTO _tables VALUES ('t', '[]', '[]', 'local', 'o', 'not a number', 1, 'n')").run(),
      );
      migrate(db, CONTEXT);
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('migration 2 adds the ACL and token tables, keyed so a grant or a token hash is unique', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      migrations[0]!(db, CONTEXT);
      migrations[1]!(db, CONTEXT);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, ['_acl', '_changes', '_meta', '_tables', '_tokens']);
      const grant = db.prepare('INSERT INTO _acl VALUES (?, ?, ?, ?, ?)');
      grant.run('bob', 't', 1, 'root', 0);
      assert.throws(() => grant.run('bob', 't', 3, 'root', 0), /UNIQUE/);
      const token = db.prepare('INSERT INTO _tokens (name, hash, creator, created) VALUES (?, ?, ?, ?)');
      token.run('a', Buffer.from('h'), 'root', 0);
      assert.throws(() => token.run('b', Buffer.from('h'), 'root', 0), /UNIQUE/);
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('migration 3 adds the runtime tables; events are keyed by (session, seq)', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      for (const migration of migrations.slice(0, 3)) migration(db, CONTEXT);
      const tables = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('_projects', '_workspaces', '_sessions', '_events') ORDER BY name",
        )
        .pluck()
        .all();
      assert.deepEqual(tables, ['_events', '_projects', '_sessions', '_workspaces']);
      const event = db.prepare('INSERT INTO _events VALUES (?, ?, ?, ?, ?, ?)');
      event.run('s_1', 1, 0, 1, 'turn_started', Buffer.from([0x80]));
      assert.throws(() => event.run('s_1', 1, 0, 1, 'turn_started', Buffer.from([0x80])), /UNIQUE|PRIMARY/);
      const workspace = db.prepare('INSERT INTO _workspaces VALUES (?, ?, ?, ?, ?, ?)');
      workspace.run('ws_1', 'n', '/a', 'p', 'root', 0);
      assert.throws(() => workspace.run('ws_2', 'n', '/a', 'p', 'root', 0), /UNIQUE/);
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('migration 4 keeps the change log, makes its seq never reused, and adds the mesh tables', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      for (const migration of migrations.slice(0, 3)) migration(db, CONTEXT);
      const insert = db.prepare('INSERT INTO _changes (tbl, k, hlc, node, op) VALUES (?, ?, ?, ?, ?)');
      insert.run('t', 'a', 10, 'n', 0);
      insert.run('t', 'b', 11, 'n', 0);
      migrations[3]!(db, CONTEXT);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, [
        '_acl',
        '_changes',
        '_dropped',
        '_events',
        '_horizons',
        '_meta',
        '_peers',
        '_projects',
        '_sessions',
        '_tables',
        '_tokens',
        '_workspaces',
        'sqlite_sequence',
      ]);
      assert.deepEqual(db.prepare('SELECT seq, k, src FROM _changes ORDER BY seq').all(), [
        { seq: 1, k: 'a', src: null },
        { seq: 2, k: 'b', src: null },
      ]);
      // Peers hold checkpoints by seq: deleting the newest entry must not let its seq come back.
      db.prepare('DELETE FROM _changes WHERE seq = 2').run();
      const next = db
        .prepare("INSERT INTO _changes (tbl, k, hlc, node, op, src) VALUES ('t', 'c', 12, 'n', 0, 'p')")
        .run();
      assert.equal(next.lastInsertRowid, 3);
      assert.throws(() => db.prepare("INSERT INTO _peers (node, last_seen) VALUES ('p', 'soon')").run());
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('migration 5 gives every table an incarnation from its creation record, the same on every replica', () => {
    const dir = tempDir();
    // Node a created "shared" and replicated it to b: both hold a's creation record. b also
    // has a table of its own, and a drop recorded before incarnations.
    const [a, b] = ['a', 'b'].map((name) => new BetterSqlite3(join(dir.path, `${name}.db`)));
    try {
      for (const db of [a!, b!]) {
        for (const migration of migrations.slice(0, 4)) migration(db, CONTEXT);
        db.pragma('user_version = 4');
        db.prepare(
          "INSERT INTO _tables VALUES ('shared', '[\"id\"]', '[]', 'mesh', 'root', 1, 1733000000000123, 'a')",
        ).run();
      }
      b!
        .prepare("INSERT INTO _tables VALUES ('mine', '[\"id\"]', '[]', 'local', 'bob', 2, 1733000000000456, 'b')")
        .run();
      b!.prepare("INSERT INTO _dropped VALUES ('gone', 1733000000000789, 'a', 'mesh')").run();
      for (const db of [a!, b!]) migrate(db, CONTEXT);

      const incarnations = (db: BetterSqlite3.Database) =>
        db.prepare('SELECT name, incarnation FROM _tables ORDER BY name').all();
      assert.deepEqual(incarnations(a!), [{ name: 'shared', incarnation: 'a:1733000000000123' }]);
      assert.deepEqual(incarnations(b!), [
        { name: 'mine', incarnation: 'b:1733000000000456' },
        { name: 'shared', incarnation: 'a:1733000000000123' },
      ]);
      // The old drop names no incarnation: it is kept as one that drops nothing.
      assert.deepEqual(b!.prepare('SELECT * FROM _dropped').all(), [
        { tbl: 'gone', incarnation: '', hlc: 1733000000000789, node: 'a', replicate: 'mesh', dropped_by: '' },
      ]);
      // One incarnation is one table; a clash is kept once per table, incarnation and peer.
      assert.throws(
        () =>
          b!
            .prepare("INSERT INTO _tables VALUES ('again', '[]', '[]', 'mesh', 'x', 3, 4, 'a', 'a:1733000000000123')")
            .run(),
        /UNIQUE/,
      );
      const clash = b!.prepare("INSERT INTO _clashes VALUES ('mine', 'c:5', 'c', 'eve', 'mesh', 'c', ?, 0)");
      clash.run(7);
      assert.throws(() => clash.run(9), /UNIQUE|PRIMARY/);
    } finally {
      a!.close();
      b!.close();
      dir.remove();
    }
  });

  it('migration 6 makes every stored owner and grantee a full identity of the node it belongs to', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      for (const migration of migrations.slice(0, 4)) migration(db, CONTEXT);
      const table = db.prepare('INSERT INTO _tables VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      table.run('mine', '["k"]', '[]', 'local', 'root', 0, 1, 'n');
      table.run('theirs', '["k"]', '[]', 'mesh', 'root', 0, 1, 'b');
      table.run('odd', '["k"]', '[]', 'local', 'user:1000', 0, 2, 'n');
      db.prepare('INSERT INTO _tokens (name, hash, creator, created) VALUES (?, ?, ?, ?)').run(
        'ci@x',
        Buffer.from('h'),
        'root',
        0,
      );
      const grant = db.prepare('INSERT INTO _acl VALUES (?, ?, ?, ?, ?)');
      grant.run('alice', 'mine', 1, 'root', 0);
      grant.run('ci@x', 'mine', 3, 'root', 0);
      grant.run('bob@corp', 'mine', 1, 'root', 0);
      db.prepare('INSERT INTO _workspaces VALUES (?, ?, ?, ?, ?, ?)').run('ws_1', 'n', '/a', 'p', 'alice', 0);
      db.prepare(
        "INSERT INTO _sessions VALUES ('s_1', 'ws_1', 'fake', NULL, x'80', 'idle', NULL, 0, 0, 0, '{}', 'alice')",
      ).run();
      db.pragma('user_version = 4');
      migrate(db, CONTEXT);
      assert.deepEqual(db.prepare('SELECT name, owner FROM _tables ORDER BY name').all(), [
        { name: 'mine', owner: 'user:root@n' },
        { name: 'odd', owner: 'user:#1000@n' },
        { name: 'theirs', owner: 'user:root@b' },
      ]);
      assert.deepEqual(db.prepare('SELECT identity, granted_by FROM _acl ORDER BY identity').all(), [
        { identity: 'cert:bob@corp@n', granted_by: 'user:root@n' },
        { identity: 'token:ci@x@n', granted_by: 'user:root@n' },
        { identity: 'user:alice@n', granted_by: 'user:root@n' },
      ]);
      assert.equal(db.prepare('SELECT creator FROM _tokens').pluck().get(), 'user:root@n');
      assert.equal(db.prepare('SELECT owner FROM _workspaces').pluck().get(), 'user:alice@n');
      assert.equal(db.prepare('SELECT owner FROM _sessions').pluck().get(), 'user:alice@n');
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('migration 7 adds the identity map, one local user per identity', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      for (const migration of migrations.slice(0, 7)) migration(db, CONTEXT);
      const map = db.prepare('INSERT INTO _identity_map VALUES (?, ?, ?, ?)');
      map.run('user:alice@a', 'alice', 'user:root@n', 0);
      assert.throws(() => map.run('user:alice@a', 'bob', 'user:root@n', 0), /UNIQUE|PRIMARY/);
      assert.throws(() => map.run('token:ci@n', null, 'user:root@n', 0), /NOT NULL/);
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('migration 8 moves the log entry of each row into the row and never hands a seq out twice', async () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'cortex.db'));
    try {
      for (const migration of migrations.slice(0, 7)) migration(db, CONTEXT);
      db.pragma('user_version = 7');
      // A table as migration 7 left it: no seq or src. "a" was written twice (its first entry was
      // not compacted yet), "b" came from peer p, and "c" has no entry at all.
      db.exec(`CREATE TABLE "t_users" (k ANY PRIMARY KEY NOT NULL, v BLOB, hlc INTEGER NOT NULL,
        node TEXT NOT NULL, del INTEGER NOT NULL DEFAULT 0) STRICT, WITHOUT ROWID`);
      db.prepare(
        "INSERT INTO _tables VALUES ('users', '[\"id\"]', '[]', 'mesh', 'user:root@n', 1, 100, 'n', 'n:100')",
      ).run();
      const row = db.prepare('INSERT INTO "t_users" (k, v, hlc, node, del) VALUES (?, ?, ?, ?, ?)');
      row.run('a', encode({ id: 'a' }), 300, 'n', 0);
      row.run('b', null, 200, 'p', 1);
      row.run('c', encode({ id: 'c' }), 50, 'n', 0);
      const entry = db.prepare('INSERT INTO _changes (tbl, k, hlc, node, op, src) VALUES (?, ?, ?, ?, ?, ?)');
      entry.run('users', '', 100, 'n', 2, null);
      entry.run('users', 'a', 150, 'n', 0, null);
      entry.run('users', 'b', 200, 'p', 1, 'p');
      entry.run('users', 'a', 300, 'n', 0, null);
      entry.run('gone', 'x', 310, 'n', 0, null);
      migrate(db, CONTEXT);

      assert.deepEqual(db.prepare('SELECT k, seq, src FROM "t_users" ORDER BY seq').all(), [
        { k: 'b', seq: 3, src: 'p' },
        { k: 'a', seq: 4, src: null },
        { k: 'c', seq: 6, src: null },
      ]);
      assert.deepEqual(db.prepare('SELECT seq, op FROM _changes').all(), [{ seq: 1, op: 2 }]);
      // The log is read from this index alone: it holds every column a log entry takes (and the key).
      assert.deepEqual(db.prepare("SELECT name FROM pragma_index_info('q_users')").pluck().all(), [
        'seq',
        'hlc',
        'node',
        'del',
        'src',
      ]);
      db.close();

      // The store reads that log in seq order, and its next change comes after every seq ever used.
      const reopened = openDatabase(dir.path, 'normal', CONTEXT);
      try {
        const store = new Store(reopened, 'n');
        assert.deepEqual(
          store.replica.changesAfter(0, 10).map(({ seq, tbl, k, op, src }) => [seq, tbl, k, op, src]),
          [
            [1, 'users', '', 2, null],
            [3, 'users', 'b', 1, 'p'],
            [4, 'users', 'a', 0, null],
            [6, 'users', 'c', 0, null],
          ],
        );
        await store.put('users', { id: 'd' });
        assert.deepEqual(
          store.replica.changesAfter(6, 10).map(({ seq, k }) => [seq, k]),
          [[7, 'd']],
        );
      } finally {
        reopened.close();
      }
    } finally {
      if (db.open) db.close();
      dir.remove();
    }
  });

  it('refuses a database from a newer cortex rather than guessing', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      assert.throws(() => migrate(db, CONTEXT), /newer than this cortex/);
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('opens in WAL mode with the configured synchronous level', () => {
    const dir = tempDir();
    const normal = openDatabase(dir.path, 'normal', CONTEXT);
    assert.equal(normal.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(normal.pragma('synchronous', { simple: true }), 1);
    normal.close();
    const full = openDatabase(dir.path, 'full', CONTEXT);
    assert.equal(full.pragma('synchronous', { simple: true }), 2);
    full.close();
    dir.remove();
  });
});
