import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { putRefusedTurn, refusalOfA, StoreDir } from '../helpers/store-dir.js';

/**
 * When journaled puts cannot be written again after a rollback, the batcher refuses
 * reads and writes and the journal keeps them for the next start, which replays only
 * seqs above the committed head. But Store.exclusive still runs (batcher.commit()
 * returns quietly once lost), and its change takes the change log's next seq, reloaded
 * from the committed head: the very seq of the first lost put. The daemon serves
 * requests until its stop closes the connections (after mesh.stop()), so a create_table,
 * drop_table or restore in that window commits a seq the journal's puts hold, and the
 * next start passes those puts over as already in the database.
 */
describe('a catalog change after the journaled puts were lost', () => {
  const dir = new StoreDir();
  after(() => dir.remove());

  it('is refused, or does not hide the lost puts from the next start', async () => {
    const { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    // 'bad' fails its turn; once armed, the journal's restore of 'a' fails too: the puts are lost.
    const refusal = refusalOfA(db);
    let lost = false;
    store.journalLost = () => (lost = true);

    await store.put('kv', { id: 'a', v: 1 }); // acknowledged from the journal
    refusal.arm();
    await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
    assert.ok(lost, 'the store lost its journaled puts and stopped; the journal keeps them');

    // A create_table served before the daemon's stop closes the connections.
    try {
      store.createTable({ name: 'late', attributes: ['id'], owner: 'alice' });
    } catch {
      // refused: right, the store stopped
    }

    // The daemon ends (its final commit refused: the store stopped); the next start has the trigger gone.
    assert.throws(() => store.close(), /The store stopped/);
    db.close();
    const fix = new BetterSqlite3(join(dir.path, 'cortex.db'));
    fix.exec('DROP TRIGGER refuse');
    fix.close();
    const a = dir.open().store.get('kv', 'a');
    assert.ok(a !== null, 'the acknowledged put came back from the journal');
    assert.deepEqual(decode(a.bytes), { id: 'a', v: 1 });
  });
});
