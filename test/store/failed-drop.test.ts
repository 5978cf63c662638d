import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Database } from 'better-sqlite3';
import type { Store } from '../../daemon/store/store.js';
import { StoreDir } from '../helpers/store-dir.js';

/**
 * A drop whose transaction fails must leave the store as it was, in memory too:
 * the drop's work forgets the table's tombstone horizon and records the drop of
 * its incarnation as it goes. Left so after the rollback, the node would take its
 * own live table for dropped (a peer's real drop of it ignored as already done)
 * and resync its peers without the horizon.
 */
describe('a drop_table that fails', () => {
  let dir: StoreDir;
  let db: Database;
  let store: Store;
  let incarnation: string;

  beforeEach(() => {
    dir = new StoreDir();
    ({ db, store } = dir.open());
    ({ incarnation } = store.createTable({ name: 'team', attributes: ['id', 'v'], replicate: 'mesh', owner: 'alice' }));
    // A horizon as a tombstone collection leaves one, read by the store when it opens.
    db.prepare('INSERT INTO _horizons (tbl, hlc, node) VALUES (?, ?, ?)').run('team', 5, 'b');
    store.close();
    db.close();
    ({ db, store } = dir.open());
    // SQLite refuses the drop's log entry, the last statement of its transaction.
    db.exec(`CREATE TRIGGER refuse_drop BEFORE INSERT ON _changes WHEN NEW.op = 3
      BEGIN SELECT RAISE(ABORT, 'refused'); END`);
  });
  afterEach(() => dir.remove());

  it('keeps the table live, its incarnation undropped and its horizon, in memory as on disk', async () => {
    assert.deepEqual(store.replica.horizonsFor('b'), [['team', incarnation, 5, 'b']]);
    assert.throws(() => store.dropTable('team', 'alice'), /refused/);
    db.exec('DROP TRIGGER refuse_drop');

    // On the code before: the drop stayed recorded and the horizon forgotten.
    assert.equal(store.replica.dropOf('team', incarnation), undefined);
    assert.deepEqual(store.replica.horizonsFor('b'), [['team', incarnation, 5, 'b']]);
    await store.put('team', { id: 'x', v: 1 });
    assert.equal(store.count('team'), 1);

    // Dropped for real, it is.
    store.dropTable('team', 'alice');
    assert.equal(store.replica.dropOf('team', incarnation)?.by, 'alice');
  });
});
