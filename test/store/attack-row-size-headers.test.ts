import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { StoredRecord } from '../../src/protocol/store-types.js';
import { MAX_ROW_BYTES } from '../../daemon/store/row-size.js';
import { StoreDir } from '../helpers/store-dir.js';

/** The most attributes a table may have: the key and 255 indexed ones, each a column of the row. */
const INDEXED = 255;
/** Each indexed value's length: its serial type (2n+12) takes a 4-byte varint in the row's header. */
const INDEXED_BYTES = 1_100_000;

/**
 * SQLite's row limit counts the row's header too: one varint per column, its serial type, up to
 * 9 bytes. With 256 columns of megabyte values, those are ~1,040 bytes. A record whose bytes, key
 * and indexed values come to MAX_ROW_BYTES less 1 KiB (the allowance for the other columns) has a
 * row over the limit: acknowledged, its INSERT fails at the next read and the store stops.
 */
describe('a record whose row is over the limit by its header only', () => {
  const dir = new StoreDir('cortex-rowhead-');
  after(() => dir.remove());

  it('is refused with ETOOBIG, not acknowledged and then lost', async () => {
    const { store } = dir.open();
    const names = Array.from({ length: INDEXED }, (_, index) => `a${index}`);
    store.createTable({ name: 'wide', attributes: ['id', ...names], indexes: names, owner: 'alice' });
    let lost: unknown;
    store.journalLost = (error) => (lost = error);

    const record = recordOfCountedSize(names, MAX_ROW_BYTES - 1024);
    let refusal: unknown;
    try {
      await store.put('wide', record);
    } catch (error) {
      refusal = error;
    }
    if (refusal === undefined) {
      // Acknowledged: it must then be read back (it is not: its INSERT is refused and the store stops).
      let read: unknown;
      try {
        read = store.get('wide', 'x');
      } catch (error) {
        read = error;
      }
      assert.fail(`the put was acknowledged, then the get answered ${String(read)} and the store lost ${String(lost)}`);
    }
    assert.ok(refusal instanceof CortexError, 'the refusal is not a CortexError');
    assert.equal(refusal.code, 'ETOOBIG');
    assert.equal(store.get('wide', 'x'), null);
    assert.equal(lost, undefined);
  });
});

/**
 * A record keyed 'x' whose encoded bytes, key and indexed values add up to `counted` or one byte
 * less: `a0` grows to fill it, counted twice (in the bytes and as an indexed value).
 */
function recordOfCountedSize(names: string[], counted: number): StoredRecord {
  const record: StoredRecord = { id: 'x' };
  for (const name of names) record[name] = Buffer.alloc(INDEXED_BYTES);
  const trial = encode(record).length;
  const others = (INDEXED - 1) * INDEXED_BYTES + Buffer.byteLength('x');
  // With a0 of INDEXED_BYTES, every other byte of a0 adds one to the bytes and one to the indexed values.
  const grow = Math.floor((counted - trial - others - INDEXED_BYTES) / 2);
  record['a0'] = Buffer.alloc(INDEXED_BYTES + grow);
  return record;
}
