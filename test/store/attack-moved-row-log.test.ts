import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { StoreDir } from '../helpers/store-dir.js';

/**
 * A row is its own log entry: a write moves it to a new seq. The mesh reads the log up to the last
 * commit without committing (Replica.committedChangesAfter), from inside the open transaction, so a
 * row a pending batch moved (a delete, a peer's write) is missing from its old seq, and its new seq
 * is past the commit. If that batch's COMMIT then fails (a full disk), the rollback puts the row
 * back at its old seq, which the batch sent skipped over: a peer that acknowledges the batch's `to`
 * never gets that record. A COMMIT is made to fail, as in journal-failed-commit.test.ts, by a
 * deferred foreign key that a trigger breaks when a row of kv becomes a tombstone.
 */
describe('the log the mesh reads while a batch that moves a row waits for its commit', () => {
  const dir = new StoreDir('cortex-moved-');
  after(() => dir.remove());

  it('skips no committed entry below the end of what it sent, when that batch is rolled back', async () => {
    const { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    for (const id of ['a', 'k', 'b']) await store.put('kv', { id, v: id });
    store.flush();
    const start = store.replica.committedChangesAfter(0, 100)[0]!.seq; // the table's creation
    db.exec(`CREATE TABLE room (id TEXT PRIMARY KEY);
      CREATE TABLE taken (id TEXT REFERENCES room (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER disk_full AFTER UPDATE ON "t_kv" WHEN NEW.del = 1 BEGIN INSERT INTO taken VALUES ('none'); END`);

    const deleting = store.delete('kv', 'k');
    // The mesh pumps in the same turn (an acknowledgement came in with the delete).
    const sent = store.replica.committedChangesAfter(start, 100);
    await assert.rejects(deleting, 'the delete cannot commit');

    const to = sent.at(-1)!.seq;
    const sentSeqs = new Set(sent.map((entry) => entry.seq));
    const skipped = store.replica
      .committedChangesAfter(start, 100)
      .filter((entry) => entry.seq <= to && !sentSeqs.has(entry.seq))
      .map((entry) => `${String(entry.k)}@${entry.seq}`);
    assert.deepEqual(skipped, [], `a peer acknowledging ${to} was never sent these`);
    assert.ok(store.get('kv', 'k') !== null, 'the delete was rolled back');
  });
});
