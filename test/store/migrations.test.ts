import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { migrate, SCHEMA_VERSION } from '../../daemon/store/migrations/index.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { tempDir } from '../helpers/daemon.js';

describe('schema migrations', () => {
  it('migration 1 creates the catalog, the change log and records the version', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      migrate(db);
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, ['_changes', '_meta', '_tables']);
      // STRICT tables refuse a value of the wrong type.
      assert.throws(() =>
        db.prepare("INSERT INTO _tables VALUES ('t', '[]', '[]', 'local', 'o', 'not a number', 1, 'n')").run(),
      );
      migrate(db);
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('refuses a database from a newer cortex rather than guessing', () => {
    const dir = tempDir();
    const db = new BetterSqlite3(join(dir.path, 'm.db'));
    try {
      db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      assert.throws(() => migrate(db), /newer than this cortex/);
    } finally {
      db.close();
      dir.remove();
    }
  });

  it('opens in WAL mode with the configured synchronous level', () => {
    const dir = tempDir();
    const normal = openDatabase(dir.path, 'normal');
    assert.equal(normal.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(normal.pragma('synchronous', { simple: true }), 1);
    normal.close();
    const full = openDatabase(dir.path, 'full');
    assert.equal(full.pragma('synchronous', { simple: true }), 2);
    full.close();
    dir.remove();
  });
});
