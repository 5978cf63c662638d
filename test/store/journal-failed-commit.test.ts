import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { parseFrames } from '../../daemon/store/journal-frames.js';
import { StoreDir } from '../helpers/store-dir.js';

/**
 * A COMMIT that fails while puts are journaled (the design's full disk) has the batcher
 * write the journaled puts again into a new transaction and return as if it had
 * committed. Store.exclusive (create_table, drop_table, restore, a peer's schema
 * change) and WriteApart (tokens, grants, mappings) rely on that commit: their work then
 * runs as a savepoint inside the journaled transaction and is answered, though nothing
 * of it is committed nor journaled. The next failed COMMIT rolls the new table back;
 * the acknowledged puts into it can no longer be written again, the store stops, and
 * the next start refuses the journal (it names a table the database does not have).
 *
 * A COMMIT is made to fail, as a full disk makes it, by a deferred foreign key that a
 * trigger breaks when the key 'full' is put; dropping the trigger gives the room back.
 */
describe('create_table while the journaled transaction cannot commit', () => {
  const dir = new StoreDir();
  after(() => dir.remove());

  it('is either refused or durable, and the acknowledged puts into it survive a restart', async () => {
    const { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    db.exec(`CREATE TABLE room (id TEXT PRIMARY KEY);
      CREATE TABLE taken (id TEXT REFERENCES room (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER disk_full AFTER INSERT ON "t_kv" WHEN NEW.k = 'full' BEGIN INSERT INTO taken VALUES ('none'); END`);
    let lost: unknown;
    store.journalLost = (error) => (lost = error);

    await store.put('kv', { id: 'full', v: 0 }); // acknowledged from the journal; its COMMIT will fail
    let created = true;
    try {
      store.createTable({ name: 'later', attributes: ['id', 'v'], owner: 'alice' });
    } catch {
      created = false; // refusing it while nothing can commit is a right answer
    }
    let committedTables: unknown[] = ['t_later'];
    if (created) {
      // An answered create_table is committed before its answer: another process sees it.
      const reader = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true });
      committedTables = reader.prepare("SELECT name FROM sqlite_master WHERE name = 't_later'").pluck().all();
      reader.close();
      await store.put('later', { id: 'x', v: 1 });
    }
    // The commit interval's end, the disk still full. In the daemon this runs in the commit timer:
    // a throw there is an uncaught exception, which ends the process like kill -9.
    let crashed: unknown;
    try {
      store.flush();
    } catch (error) {
      crashed = error;
    }
    const journaled = parseFrames(readFileSync(join(dir.path, 'cortex.puts'))).groups.map((group) => group.table);

    // kill -9, then the disk has room again and the daemon starts.
    try {
      store.close();
    } catch {
      // the store was already broken: its journal's descriptor is closed all the same
    }
    db.close();
    const room = new BetterSqlite3(join(dir.path, 'cortex.db'));
    room.exec('DROP TRIGGER disk_full; DELETE FROM taken');
    room.close();
    const again = dir.open().store; // on the branch: 'holds puts this database cannot take ... move the file aside'
    assert.deepEqual(decode(again.get('kv', 'full')!.bytes), { id: 'full', v: 0 });
    if (created) assert.deepEqual(decode(again.get('later', 'x')!.bytes), { id: 'x', v: 1 });
    assert.equal(lost, undefined, 'the store kept every acknowledged put after the failed commits');
    assert.equal(crashed, undefined, 'a failed commit does not throw out of the commit timer');
    assert.deepEqual(committedTables, ['t_later'], 'the answered create_table was committed before its answer');
    assert.ok(journaled.includes('kv'));
  });
});
