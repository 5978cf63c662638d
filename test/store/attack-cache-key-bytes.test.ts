import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StoreDir } from '../helpers/store-dir.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap and external (Buffer) bytes in use after a full collection. */
function used(): number {
  gc();
  gc();
  const { heapUsed, external, arrayBuffers } = process.memoryUsage();
  return heapUsed + Math.max(external, arrayBuffers);
}

/**
 * RecordCache counts an entry as its record's bytes plus ENTRY_OVERHEAD_BYTES, but it also
 * keeps the get's key, a string of its own (decoded from the request), as the table map's
 * key: up to as large as the record itself when the key is most of the record (a key may
 * be as long as a message, 16 MiB by default). Such records fill the cache to about twice
 * its bound. Here, with an 8 MiB bound and records that are a 2 MiB key and little else,
 * the cache holds three (6 MiB counted) and 12 MiB in memory.
 */
describe('records whose key is most of them', () => {
  const dir = new StoreDir('cortex-attack-cache-');
  after(() => dir.remove());

  it('keep the cache within its bound, keys included', async () => {
    const limit = 8 * 1024 * 1024;
    const keyLength = 2 * 1024 * 1024;
    const s = dir.open({ heldMs: 10, cacheBytes: limit }).store;
    s.createTable({ name: 'kv', attributes: ['id'], owner: 'alice' });
    // Each key made when needed, as a request's decoder makes it: the test keeps none.
    const key = (index: number): string => String.fromCharCode(97 + index).repeat(keyLength);
    for (let index = 0; index < 6; index++) await s.put('kv', { id: key(index) });
    s.flush();
    const before = used();
    for (let index = 0; index < 6; index++) assert.ok(s.get('kv', key(index)) !== null);
    const grown = used() - before;
    const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
    assert.ok(s.cache.bytes <= limit, 'the count is within the bound');
    assert.ok(
      grown <= limit + 1024 * 1024,
      `the cache counts ${mib(s.cache.bytes)} MiB for ${s.cache.entries} records, and holds ${mib(grown)} MiB more than before them (bound ${mib(limit)} MiB)`,
    );
  });
});
