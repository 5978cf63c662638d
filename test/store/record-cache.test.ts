import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Database } from 'better-sqlite3';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { RecordKey, StoredRecord } from '../../src/protocol/store-types.js';
import { HLC_PER_MS } from '../../daemon/store/hlc.js';
import type { RemoteWrite } from '../../daemon/store/merge.js';
import { ENTRY_OVERHEAD_BYTES } from '../../daemon/store/record-cache.js';
import type { RemoteBatch } from '../../daemon/store/replica.js';
import type { Store } from '../../daemon/store/store.js';
import { putRefusedTurn, refusalOfA, StoreDir } from '../helpers/store-dir.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * The store's record cache answers a get from memory once the record was read. Each
 * case is an attack on it: a way a row changes (a put, put_many, a delete, a replicated
 * write or delete, a versioned restore, an import, a resync's purge, a table dropped and
 * made again, the journal's rollback), followed by a get that must see what SQLite holds,
 * never the bytes cached before. Each fails with the matching forget taken out. The store
 * runs as the daemon runs it, with the put journal, so reads also happen inside the
 * held transaction.
 */
describe('the record cache', () => {
  let dir: StoreDir;
  let db: Database;
  let store: Store;

  const open = (cacheBytes?: number): void => {
    dir = new StoreDir('cortex-record-cache-');
    ({ db, store } = dir.open(cacheBytes === undefined ? {} : { cacheBytes }));
    store.createTable({ name: 'kv', attributes: ['id', 'v'], replicate: 'mesh', owner: 'alice' });
  };
  const read = (key: RecordKey, table = 'kv'): StoredRecord | null => {
    const record = store.get(table, key);
    return record === null ? null : (decode(record.bytes) as StoredRecord);
  };
  /** Reads the record twice, so that the second read is the cache's: the state every attack starts from. */
  const cached = (key: RecordKey, expected: StoredRecord): void => {
    assert.deepEqual(read(key), expected);
    assert.deepEqual(read(key), expected);
    assert.ok(store.cache.entries > 0, 'the record is cached');
  };
  /** A batch of writes from peer b to kv, stamped after everything this node has seen. */
  const fromPeer = (changes: Omit<RemoteWrite, 'seq' | 'table' | 'hlc'>[]): RemoteBatch => {
    const definition = store.replica.definition('kv')!;
    const hlc = store.replica.hlc + HLC_PER_MS;
    return {
      from: 'b',
      to: changes.length,
      changes: changes.map((change, index) => ({ ...change, seq: index + 1, table: 'kv', hlc: hlc + index })),
      defs: new Map([['kv', definition]]),
      checkpoint: () => {},
    };
  };

  afterEach(() => dir.remove());

  describe('with the default bound', () => {
    beforeEach(() => open());

    it('returns a put record, not the one cached before it', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      cached('k', { id: 'k', v: 1 });
      await store.put('kv', { id: 'k', v: 2 });
      assert.deepEqual(read('k'), { id: 'k', v: 2 });
      // Not yet acknowledged: the get ends the turn, and reads the put.
      const done = store.put('kv', { id: 'k', v: 3 });
      assert.deepEqual(read('k'), { id: 'k', v: 3 });
      await done;
    });

    it('returns records of put_many, not those cached before', async () => {
      await store.putMany('kv', [
        { id: 'x', v: 1 },
        { id: 'y', v: 1 },
      ]);
      cached('x', { id: 'x', v: 1 });
      cached('y', { id: 'y', v: 1 });
      await store.putMany('kv', [
        { id: 'x', v: 2 },
        { id: 'y', v: 2 },
      ]);
      assert.deepEqual(
        [read('x'), read('y')],
        [
          { id: 'x', v: 2 },
          { id: 'y', v: 2 },
        ],
      );
    });

    it('finds no deleted record', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      cached('k', { id: 'k', v: 1 });
      assert.equal(await store.delete('kv', 'k'), true);
      assert.equal(read('k'), null);
    });

    it('returns a replicated put, and finds no replicated delete', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      cached('k', { id: 'k', v: 1 });
      const put = await store.replica.apply(
        fromPeer([{ key: 'k', node: 'b', op: 'put', value: encode({ id: 'k', v: 'from b' }) }]),
      );
      assert.equal(put.applied, 1);
      assert.deepEqual(read('k'), { id: 'k', v: 'from b' });
      cached('k', { id: 'k', v: 'from b' });
      const deleted = await store.replica.apply(fromPeer([{ key: 'k', node: 'b', op: 'delete', value: null }]));
      assert.equal(deleted.applied, 1);
      assert.equal(read('k'), null);
    });

    it('returns a record restored with a newer version (put_many with versions)', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      cached('k', { id: 'k', v: 1 });
      const written = await store.putVersioned(
        'kv',
        [{ id: 'k', v: 'backup' }],
        [{ hlc: store.replica.hlc + HLC_PER_MS, node: 'b' }],
      );
      assert.equal(written, 1);
      assert.deepEqual(read('k'), { id: 'k', v: 'backup' });
    });

    it('returns records an import wrote, with or without versions', async () => {
      await store.put('kv', { id: 'new', v: 1 });
      await store.put('kv', { id: 'versioned', v: 1 });
      cached('new', { id: 'new', v: 1 });
      cached('versioned', { id: 'versioned', v: 1 });
      store.restore((writer) => {
        writer.put('kv', { id: 'new', v: 'imported' });
        const bytes = encode({ id: 'versioned', v: 'imported' });
        assert.ok(writer.merge('kv', 'versioned', bytes, { hlc: store.replica.hlc + HLC_PER_MS, node: 'b' }));
      });
      assert.deepEqual(read('new'), { id: 'new', v: 'imported' });
      assert.deepEqual(read('versioned'), { id: 'versioned', v: 'imported' });
    });

    it("finds no record a full resync's purge deleted", async () => {
      const batch = fromPeer([{ key: 'k', node: 'b', op: 'put', value: encode({ id: 'k', v: 'from b' }) }]);
      await store.replica.apply(batch);
      cached('k', { id: 'k', v: 'from b' });
      const { incarnation } = store.replica.definition('kv')!;
      const horizon = { hlc: store.replica.hlc + HLC_PER_MS, node: 'b' };
      assert.equal(await store.replica.purgeBelowHorizon('kv', incarnation, horizon, new Set(), 'b', 0), 1);
      assert.equal(read('k'), null);
    });

    it('forgets a dropped table, and finds nothing of it in a new table of the same name', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      cached('k', { id: 'k', v: 1 });
      store.dropTable('kv', 'alice');
      assert.deepEqual([store.cache.entries, store.cache.bytes], [0, 0], "the dropped table's records left the count");
      store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
      assert.equal(read('k'), null);
      await store.put('kv', { id: 'k', v: 2 });
      assert.deepEqual(read('k'), { id: 'k', v: 2 });
    });

    it('keeps the key 1 and the key "1" apart, as SQLite does', async () => {
      await store.put('kv', { id: 1, v: 'number' });
      cached(1, { id: 1, v: 'number' });
      await store.put('kv', { id: '1', v: 'string' });
      assert.deepEqual(read(1), { id: 1, v: 'number' });
      assert.deepEqual(read('1'), { id: '1', v: 'string' });
      await store.put('kv', { id: 1, v: 'number again' });
      assert.deepEqual(read(1), { id: 1, v: 'number again' });
      assert.deepEqual(read('1'), { id: '1', v: 'string' });
    });

    it('answers nothing once the store lost its journaled puts', async () => {
      // 'bad' fails its turn; once armed, the journal's restore of 'a' fails too: the puts are lost.
      const refusal = refusalOfA(db);
      await store.put('kv', { id: 'a', v: 1 });
      cached('a', { id: 'a', v: 1 });
      refusal.arm();
      await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
      // The rolled-back transaction took 'a' with it: no read may answer it, from SQLite or the cache.
      assert.throws(() => store.get('kv', 'a'), /The store stopped/);
    });

    it('answers nothing once closed', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      cached('k', { id: 'k', v: 1 });
      store.close();
      assert.throws(() => store.get('kv', 'k'), /closed/);
    });
  });

  describe('with a bound of 64 KiB', () => {
    const LIMIT = 64 * 1024;
    beforeEach(() => open(LIMIT));

    it('never holds more than its bound, and lets the oldest records go first', async () => {
      const big = 'x'.repeat(2000);
      const keys = Array.from({ length: 200 }, (_, index) => `k${index}`);
      await store.putMany(
        'kv',
        keys.map((id) => ({ id, v: big })),
      );
      for (const key of keys) {
        assert.equal((read(key) as { id: string }).id, key);
        assert.ok(store.cache.bytes <= LIMIT, `${store.cache.bytes} bytes held after ${key}`);
      }
      // A key is counted at two bytes a UTF-16 unit besides the overhead.
      const perRecord = encode({ id: 'k100', v: big }).length + 2 * 'k100'.length + ENTRY_OVERHEAD_BYTES;
      const held = Math.floor(LIMIT / perRecord);
      const { records } = store.catalog.handle('kv');
      const holds = (): string[] => keys.filter((key) => records.has(key));
      assert.deepEqual(holds(), keys.slice(-held), 'full to the bound, with the newest');
      // Reading the oldest brings it back and pushes out the oldest held.
      read('k0');
      assert.deepEqual(holds(), ['k0', ...keys.slice(1 - held)]);
      assert.ok(store.cache.bytes <= LIMIT);
    });

    it('keeps no record larger than its bound, and still returns it', async () => {
      const huge = { id: 'huge', v: 'y'.repeat(LIMIT) };
      await store.put('kv', huge);
      assert.deepEqual(read('huge'), huge);
      assert.deepEqual([store.cache.entries, store.cache.bytes], [0, 0]);
    });
  });

  describe('with a bound of 0', () => {
    beforeEach(() => open(0));

    it('keeps nothing', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      assert.deepEqual(read('k'), { id: 'k', v: 1 });
      assert.deepEqual(read('k'), { id: 'k', v: 1 });
      assert.deepEqual([store.cache.entries, store.cache.bytes], [0, 0]);
    });
  });
});

/**
 * The same random writes and reads on two stores, one with a cache small enough to evict all
 * the time and one without: every get must answer the same. Keys include 1 and "1" and are few,
 * so that writes land on cached records; some puts are read before they are acknowledged.
 */
describe('the record cache against no cache, on random operations', () => {
  const KEYS: RecordKey[] = [1, '1', 2, '2', 'a', 'b', 'c', 'd', 'e', 'f'];
  const stores: { dir: StoreDir; store: Store }[] = [];

  afterEach(() => {
    for (const { dir } of stores.splice(0)) dir.remove();
  });

  for (const seed of [1, 2, 3]) {
    it(`answers every get as SQLite does (seed ${seed})`, async () => {
      for (const cacheBytes of [4 * 1024, 0]) {
        const dir = new StoreDir('cortex-record-cache-random-');
        const { store } = dir.open({ cacheBytes });
        store.createTable({ name: 'kv', attributes: ['id', 'v'], replicate: 'mesh', owner: 'alice' });
        stores.push({ dir, store });
      }
      const random = seededRandom(seed);
      const pick = (): RecordKey => KEYS[Math.floor(random() * KEYS.length)]!;
      const answers = (key: RecordKey): (Buffer | null)[] =>
        stores.map(({ store }) => {
          const record = store.get('kv', key);
          return record === null ? null : Buffer.from(record.bytes);
        });
      for (let step = 0; step < 400; step++) {
        const key = pick();
        const choice = random();
        const value = { id: key, v: step, pad: 'x'.repeat(Math.floor(random() * 600)) };
        const other = { id: pick(), v: -step };
        const deleted = random() < 0.3;
        const waits: Promise<unknown>[] = [];
        for (const { store } of stores) {
          if (choice < 0.3) waits.push(store.put('kv', value));
          else if (choice < 0.4) waits.push(store.putMany('kv', [value, other]));
          else if (choice < 0.5) waits.push(store.delete('kv', key));
          else if (choice < 0.6) {
            const definition = store.replica.definition('kv')!;
            const write: RemoteWrite = {
              seq: step + 1,
              table: 'kv',
              key,
              hlc: store.replica.hlc + HLC_PER_MS,
              node: 'b',
              op: deleted ? 'delete' : 'put',
              value: deleted ? null : encode(value),
            };
            const batch = { from: 'b', to: step + 1, changes: [write], defs: new Map([['kv', definition]]) };
            waits.push(store.replica.apply({ ...batch, checkpoint: () => {} }));
          }
        }
        // Half the time the get comes before the writes are acknowledged.
        if (random() < 0.5) await Promise.all(waits);
        const [cachedAnswer, uncachedAnswer] = answers(pick());
        assert.deepEqual(cachedAnswer, uncachedAnswer, `step ${step}`);
        await Promise.all(waits);
        for (const each of KEYS) {
          const [cachedEach, uncachedEach] = answers(each);
          assert.deepEqual(cachedEach, uncachedEach, `step ${step}, key ${JSON.stringify(each)}`);
        }
      }
      assert.ok(stores[0]!.store.cache.bytes <= 4 * 1024);
    });
  }
});
