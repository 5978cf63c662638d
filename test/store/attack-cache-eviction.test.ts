import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import type { Database } from 'better-sqlite3';
import { openDatabase } from '../../daemon/store/open-database.js';
import { journalIn } from '../../daemon/store/put-journal.js';
import { Store } from '../../daemon/store/store.js';
import { tempDir } from '../helpers/daemon.js';

/**
 * RecordCache evicts its oldest entry with `this.order.values().next()`, a new iterator on
 * a Set each time. V8 leaves a deleted Set entry as a hole until the table is rebuilt, and a
 * new iterator walks from the table's first slot over every hole: evicting first-in
 * first-out puts all the holes in front, so each eviction walks over every one evicted
 * since the last rebuild, tens of thousands at the default bound. A get that misses once
 * the cache is full (any table read by key that is larger than the cache) then costs tens
 * to hundreds of microseconds of the daemon's only thread instead of a few.
 *
 * Measured on 23f08ca (tiny records, default 32 MiB bound, ~84,000 entries): ~6 us a
 * miss before the cache is full, 30-190 us after. This test compares a get that misses
 * while the cache fills with one that misses once it evicts: a first-in first-out eviction
 * should cost about what the add does. The margin (4x) is far from both sides.
 */
describe('a get that misses once the record cache is full', () => {
  const dir = tempDir('cortex-attack-cache-');
  let db: Database | undefined;
  let store: Store | undefined;

  after(() => {
    try {
      store?.close();
    } finally {
      db?.close();
      dir.remove();
    }
  });

  it('costs about what a miss costs before it is full', async () => {
    db = openDatabase(dir.path, 'normal', { node: 'a' });
    store = new Store(db, 'a', Date.now, 60_000, journalIn(dir.path, 10)); // the default bound, as daemons run
    const s = store;
    s.createTable({ name: 'kv', attributes: ['id'], owner: 'alice' });
    const total = 200_000;
    const key = (index: number): string => `k${index}`;
    for (let from = 0; from < total; from += 1000) {
      await s.putMany(
        'kv',
        Array.from({ length: 1000 }, (_, index) => ({ id: key(from + index) })),
      );
    }
    s.flush();
    /** Microseconds a get of each key in [from, to) took, on average; each one misses. */
    const getAll = (from: number, to: number): number => {
      const start = performance.now();
      for (let index = from; index < to; index++) assert.ok(s.get('kv', key(index)) !== null);
      return ((performance.now() - start) * 1000) / (to - from);
    };
    getAll(0, 10_000); // warm up: the code paths compiled
    const filling = getAll(10_000, 60_000);
    assert.equal(s.cache.entries, 60_000, 'nothing evicted yet');
    getAll(60_000, 150_000);
    assert.ok(s.cache.entries < 150_000, 'the cache is full and evicting');
    const evicting = getAll(150_000, total);
    assert.ok(
      evicting < 4 * filling,
      `a miss cost ${filling.toFixed(1)} us while the cache filled, ${evicting.toFixed(1)} us once it evicts`,
    );
  });
});
