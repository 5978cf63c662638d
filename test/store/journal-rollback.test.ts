import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { parseFrames } from '../../daemon/store/journal-frames.js';
import type { Store } from '../../daemon/store/store.js';
import { putRefusedTurn, StoreDir } from '../helpers/store-dir.js';
import { readFileSync } from 'node:fs';

/**
 * A turn whose statement fails is rolled back whole, and the rollback takes the
 * transaction's earlier, journaled (already acknowledged) puts with it: the store
 * must write those again from the journal, and commit them later, while the failed
 * turn's put is neither kept nor acknowledged.
 */
describe('a failed turn after journaled puts', () => {
  const dir = new StoreDir();
  let db: Database;
  let store: Store;
  const committed = (): string[] => {
    const reader = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true });
    try {
      return reader.prepare('SELECT k FROM "t_kv" ORDER BY k').pluck().all() as string[];
    } finally {
      reader.close();
    }
  };

  before(() => {
    ({ db, store } = dir.open());
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    // SQLite refuses this one key: a statement failing in the middle of a journaled transaction.
    db.exec(
      `CREATE TRIGGER refuse BEFORE INSERT ON "t_kv" WHEN NEW.k = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
  });

  after(() => dir.remove());

  it('keeps the acknowledged puts, fails only the refused one, and commits the kept ones', async () => {
    await store.put('kv', { id: 'one', v: 1 });
    await store.put('kv', { id: 'two', v: 2 });
    assert.deepEqual(committed(), [], 'journaled, not committed');
    const journaled = parseFrames(readFileSync(join(dir.path, 'cortex.puts'))).groups;
    assert.equal(journaled.length, 2);

    await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
    assert.deepEqual(decode(store.get('kv', 'one')!.bytes), { id: 'one', v: 1 });
    assert.deepEqual(decode(store.get('kv', 'two')!.bytes), { id: 'two', v: 2 });
    assert.equal(store.get('kv', 'bad'), null);
    assert.equal(store.get('kv', 'filler0'), null);

    await store.put('kv', { id: 'three', v: 3 });
    store.flush();
    assert.deepEqual(committed(), ['one', 'three', 'two']);
    assert.equal(statSync(join(dir.path, 'cortex.puts')).size, 0, 'the commit emptied the journal');
  });
});
