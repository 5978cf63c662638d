import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { StoreDir } from '../helpers/store-dir.js';

/**
 * A restore (an import's commit) runs in one transaction: when a record fails after the
 * restore created a table, SQLite rolls the table back. The catalog's tables in memory must
 * follow it: on the code before, the table stayed listed, a get of it failed inside SQLite
 * ("no such table", an internal error), and creating it again was refused as existing.
 */
describe('a restore that fails after creating a table', () => {
  const dir = new StoreDir();
  after(() => dir.remove());

  it('leaves no table behind, and the name can be created', async () => {
    const { store } = dir.open();
    store.createTable({ name: 'kept', attributes: ['id', 'v'], owner: 'alice' });
    await store.put('kept', { id: 'a', v: 1 });
    assert.deepEqual(decode(store.get('kept', 'a')!.bytes), { id: 'a', v: 1 });

    assert.throws(
      () =>
        store.restore((writer) => {
          writer.createTable({ name: 'fresh', attributes: ['id', 'v'], owner: 'alice' });
          writer.put('fresh', { id: 'x', v: 1 });
          writer.put('fresh', { v: 2 }); // no key: refused, and the whole restore with it
        }),
      /must be a string or an integer/,
    );

    assert.deepEqual(
      store.catalog.list().map((table) => table.name),
      ['kept'],
    );
    assert.throws(() => store.get('fresh', 'x'), /There is no table named "fresh"/);
    store.createTable({ name: 'fresh', attributes: ['id', 'v'], owner: 'alice' });
    await store.put('fresh', { id: 'y', v: 3 });
    assert.deepEqual(decode(store.get('fresh', 'y')!.bytes), { id: 'y', v: 3 });
    assert.deepEqual(decode(store.get('kept', 'a')!.bytes), { id: 'a', v: 1 });
  });
});
