import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { StoreDir } from '../helpers/store-dir.js';

/**
 * Tombstone collection raises its table's horizon, in the database and in the merger's memory, in
 * the collecting batch. If that batch's COMMIT fails (a full disk), the rollback keeps the tombstones
 * and the old horizon in the database: the merger must not keep the raised one. Left raised, a
 * backup's record below it is refused as deleted since (`stale`), though nothing was collected, and
 * the same restore after a restart writes it. A COMMIT is made to fail, as in
 * journal-failed-commit.test.ts, by a deferred foreign key that a trigger breaks when a row of kv goes.
 */
describe('a tombstone collection whose commit fails', () => {
  const dir = new StoreDir('cortex-horizon-');
  after(() => dir.remove());

  it('leaves the horizon where the database has it', async () => {
    const { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    await store.put('kv', { id: 'gone', v: 1 });
    await store.delete('kv', 'gone');
    store.flush();
    const tombstone = store.replica.rowState('kv', 'gone')!;
    db.exec(`CREATE TABLE room (id TEXT PRIMARY KEY);
      CREATE TABLE taken (id TEXT REFERENCES room (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER disk_full AFTER DELETE ON "t_kv" BEGIN INSERT INTO taken VALUES ('none'); END`);

    const entries = store.replica.committedChangesAfter(0, 100);
    await assert.rejects(
      store.replica.collect(entries, Number.MAX_SAFE_INTEGER, () => false),
      'cannot commit',
    );
    db.exec('DROP TRIGGER disk_full');
    assert.equal(store.replica.rowState('kv', 'gone')?.del, 1, 'the tombstone is still there');

    // A backup's record older than the tombstone that was not collected: nothing says it was deleted.
    const older = { hlc: tombstone.hlc - 1, node: 'b' };
    const written = await store.putVersioned('kv', [{ id: 'kept', v: 2 }], [older]);
    assert.equal(written, 1, 'the record was refused as below a horizon the database does not have');
  });
});
