import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import { StoreDir } from '../helpers/store-dir.js';

/**
 * A record whose row is larger than SQLite takes (its longest string, blob or row,
 * 1,000,000,000 bytes as better-sqlite3 builds it), well under the largest
 * max_message_bytes a config may set (1 GiB): 500 MB, indexed, so its row holds it twice.
 * The put journal acknowledges a put before its INSERT runs, so such a put must be refused
 * before that: acknowledged, its INSERT would fail at the next read, stop the store, and
 * fail again at every start, an acknowledged put that can never be stored.
 */
describe('a record larger than the database takes', () => {
  const dir = new StoreDir('cortex-huge-');
  after(() => dir.remove());

  it('is refused with ETOOBIG before it is acknowledged, and the store goes on', async () => {
    const { store } = dir.open();
    // v is indexed: its row holds it twice, as the record and as the index's column.
    store.createTable({ name: 'kv', attributes: ['id', 'v'], indexes: ['v'], owner: 'alice' });
    await store.put('kv', { id: 'small', v: 1 });
    let lost: unknown;
    store.journalLost = (error) => (lost = error);

    let refusal: unknown;
    try {
      await store.put('kv', { id: 'huge', v: Buffer.alloc(500_000_000) });
    } catch (error) {
      refusal = error;
    }
    assert.ok(refusal instanceof CortexError, `the put was answered ${String(refusal)}`);
    assert.equal(refusal.code, 'ETOOBIG');
    assert.equal(store.get('kv', 'huge'), null);
    assert.ok(store.get('kv', 'small') !== null, 'the store still serves');
    assert.equal(lost, undefined);
  });
});
