import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { HLC_PER_MS } from '../../daemon/store/hlc.js';
import type { RemoteWrite } from '../../daemon/store/merge.js';
import { JOURNAL_FILE } from '../../daemon/store/put-journal.js';
import type { RemoteBatch } from '../../daemon/store/replica.js';
import type { Store } from '../../daemon/store/store.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { putRefusedTurn, StoreDir } from '../helpers/store-dir.js';

/**
 * Attacks on the put's deferred INSERT (PutBuffer.hold): an acknowledged put whose row
 * still waits must be seen by every reader, must survive a crash, and must not be written
 * twice, out of order, or into a table that took its table's name since.
 *
 * A crash is played in process: the database is closed under the store, which rolls the
 * held transaction back as a kill -9 does (the WAL keeps only commits), and the put
 * journal keeps what was appended; the store, closed after, only refuses.
 */
describe('attacks on a put whose INSERT waits', () => {
  let dir: StoreDir;
  let db: Database;
  let store: Store;

  beforeEach(() => {
    dir = new StoreDir();
    ({ db, store } = dir.open());
  });
  afterEach(() => dir.remove());

  const value = (table: string, key: string): unknown => {
    const found = store.get(table, key);
    return found === null ? null : decode(found.bytes);
  };

  /** Ends the store as kill -9 would, then starts it again on the same files. */
  const crashAndRestart = (): void => {
    db.close();
    assert.throws(() => store.close());
    ({ db, store } = dir.open());
  };

  describe('in a local table', () => {
    beforeEach(() => {
      store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    });

    it('the age of the oldest unsent change counts a waiting put', async () => {
      const head = store.replica.headSeq();
      await store.put('kv', { id: 'a', v: 1 });
      // On the code before the fix: undefined, the log was read before the waiting INSERT ran.
      const oldest = store.replica.firstHlcAfter(head);
      assert.equal(typeof oldest, 'number');
      assert.deepEqual(
        store.replica.changesAfter(head, 10).map((entry) => entry.hlc),
        [oldest],
      );
    });

    it('a put, then drop_table and create_table of its name in the same turn, leaves the new table empty', async () => {
      const put = store.put('kv', { id: 'old', v: 1 });
      store.dropTable('kv', 'alice');
      store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
      await put;
      assert.equal(value('kv', 'old'), null);
      assert.equal(store.count('kv'), 0);
      crashAndRestart();
      assert.equal(store.replayed.puts, 0);
      assert.equal(value('kv', 'old'), null);
    });

    it('a waiting put, then drop_table and create_table in the next turn, is not replayed into the new table', async () => {
      await store.put('kv', { id: 'old', v: 1 });
      store.dropTable('kv', 'alice');
      store.createTable({ name: 'kv', attributes: ['id', 'v', 'w'], indexes: ['w'], owner: 'alice' });
      await store.put('kv', { id: 'new', v: 2, w: 'x' });
      crashAndRestart();
      assert.equal(store.replayed.puts, 1);
      assert.equal(value('kv', 'old'), null);
      assert.deepEqual(value('kv', 'new'), { id: 'new', v: 2, w: 'x' });
      assert.deepEqual(
        store.match('kv', { w: 'x' }, 10).records.map((r) => decode(r.bytes)),
        [{ id: 'new', v: 2, w: 'x' }],
      );
    });

    it('a cached record is never answered while a newer put of its key waits', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 1 });
      const second = store.put('kv', { id: 'k', v: 2 });
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 2 }, 'in the turn of the put');
      await second;
      await store.put('kv', { id: 'k', v: 3 });
      await store.putMany('kv', [
        { id: 'k', v: 4 },
        { id: 'k', v: 5 },
      ]);
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 5 }, 'the later of two rows of one key in one statement');
      crashAndRestart();
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 5 });
    });

    it('a delete of a key whose put waits wins, in the same turn and in the next, after a crash too', async () => {
      const put = store.put('kv', { id: 'same', v: 1 });
      const deleted = store.delete('kv', 'same');
      await put;
      assert.equal(await deleted, true);
      await store.put('kv', { id: 'next', v: 1 });
      assert.equal(await store.delete('kv', 'next'), true);
      await store.put('kv', { id: 'kept', v: 1 });
      assert.equal(value('kv', 'same'), null);
      assert.equal(value('kv', 'next'), null);
      crashAndRestart();
      assert.equal(store.replayed.puts, 1, 'only the put after the last commit');
      assert.equal(value('kv', 'same'), null);
      assert.equal(value('kv', 'next'), null);
      assert.deepEqual(value('kv', 'kept'), { id: 'kept', v: 1 });
    });

    it('a refused 64-row statement fails its own turn only: waiting puts before it and puts after it survive', async () => {
      // A temporary trigger: the connection's own, so the start after the crash has none.
      db.exec(
        `CREATE TEMP TRIGGER refuse BEFORE INSERT ON main."t_kv" WHEN NEW.k = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      );
      await store.put('kv', { id: 'a', v: 1 });
      await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
      await store.put('kv', { id: 'c', v: 3 });
      assert.deepEqual(value('kv', 'a'), { id: 'a', v: 1 });
      assert.deepEqual(value('kv', 'c'), { id: 'c', v: 3 });
      assert.equal(value('kv', 'filler0'), null);
      assert.equal(store.count('kv'), 2);
      await store.put('kv', { id: 'd', v: 4 });
      crashAndRestart();
      assert.deepEqual(value('kv', 'a'), { id: 'a', v: 1 });
      assert.deepEqual(value('kv', 'c'), { id: 'c', v: 3 });
      assert.deepEqual(value('kv', 'd'), { id: 'd', v: 4 });
      assert.equal(store.count('kv'), 3);
    });

    it('puts to several tables in one turn keep their order in the log, across a crash', async () => {
      store.createTable({ name: 'other', attributes: ['id', 'n'], indexes: ['n'], owner: 'alice' });
      const head = store.replica.headSeq();
      await Promise.all([
        store.put('kv', { id: 'k1', v: 1 }),
        store.put('other', { id: 'o1', n: 1 }),
        store.putMany('kv', [
          { id: 'k2', v: 2 },
          { id: 'k1', v: 3 },
        ]),
        store.put('other', { id: 'o2', n: 2 }),
      ]);
      await store.put('other', { id: 'o1', n: 4 });
      crashAndRestart();
      assert.equal(store.replayed.puts, 6);
      const log = store.replica.changesAfter(head, 100).map((entry) => `${entry.tbl}/${String(entry.k)}`);
      // A key written again keeps only its newest seq: k1 moved after k2, o1 to the end.
      assert.deepEqual(log, ['kv/k2', 'kv/k1', 'other/o2', 'other/o1']);
      assert.deepEqual(value('kv', 'k1'), { id: 'k1', v: 3 });
      assert.deepEqual(value('other', 'o1'), { id: 'o1', n: 4 });
    });

    it('close writes the waiting rows to the database and empties the journal', async () => {
      for (let i = 0; i < 10; i++) await store.put('kv', { id: `k${i}`, v: i });
      assert.ok(statSync(join(dir.path, JOURNAL_FILE)).size > 0);
      store.close();
      assert.equal(statSync(join(dir.path, JOURNAL_FILE)).size, 0);
      db.close();
      const reader = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true });
      try {
        assert.equal(reader.prepare('SELECT count(*) FROM "t_kv" WHERE del = 0').pluck().get(), 10);
      } finally {
        reader.close();
      }
      ({ db, store } = dir.open());
      assert.equal(store.replayed.puts, 0);
    });

    it('tombstone collection does not take the row of a key put again while that put waits', async () => {
      await store.put('kv', { id: 'k', v: 1 });
      const head = store.replica.headSeq();
      assert.equal(await store.delete('kv', 'k'), true);
      const entries = store.replica.changesAfter(head, 10);
      assert.deepEqual(
        entries.map((entry) => entry.k),
        ['k'],
      );
      await store.put('kv', { id: 'k', v: 2 });
      const swept = await store.replica.collect(entries, Number.MAX_SAFE_INTEGER, () => false);
      assert.equal(swept.collected, 0);
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 2 });
      crashAndRestart();
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 2 });
    });

    it("an import that writes a waiting put's key wins, and the replay does not bring the put back", async () => {
      await store.put('kv', { id: 'k', v: 'put' });
      store.restore((writer) => writer.put('kv', { id: 'k', v: 'imported' }));
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 'imported' });
      await store.put('kv', { id: 'after', v: 1 });
      crashAndRestart();
      assert.equal(store.replayed.puts, 1, 'only the put after the import');
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 'imported' });
      assert.deepEqual(value('kv', 'after'), { id: 'after', v: 1 });
    });

    it('a write whose waiting rows fail once is refused alone: the acknowledged put is written again', async () => {
      await store.put('kv', { id: 'a', v: 1 });
      let calls = 0;
      db.function('refuse_once', () => (++calls === 1 ? 1 : 0));
      db.exec(
        `CREATE TEMP TRIGGER refuse BEFORE INSERT ON main."t_kv" WHEN refuse_once() BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      );
      await assert.rejects(store.delete('kv', 'a'), /refused/);
      assert.deepEqual(value('kv', 'a'), { id: 'a', v: 1 });
      assert.equal(await store.delete('kv', 'a'), true);
      await store.put('kv', { id: 'b', v: 2 });
      crashAndRestart();
      assert.equal(value('kv', 'a'), null);
      assert.deepEqual(value('kv', 'b'), { id: 'b', v: 2 });
    });

    it('a turn refused at its 64-row statement is written nowhere, in none of its tables, after a crash too', async () => {
      store.createTable({ name: 'other', attributes: ['id', 'n'], owner: 'alice' });
      await store.put('kv', { id: 'a', v: 1 });
      db.exec(
        `CREATE TEMP TRIGGER refuse BEFORE INSERT ON main."t_other" WHEN NEW.k = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      );
      const rows = (prefix: string, count: number) =>
        Array.from({ length: count }, (_, index) => ({ id: `${prefix}${index}`, v: index, n: index }));
      // One turn of 71 waiting rows: kv's are written and added to the turn's frame before other's statement fails.
      const results = await Promise.allSettled([
        store.putMany('kv', rows('kv', 40)),
        store.putMany('other', [...rows('other', 29), { id: 'bad', n: 0 }]),
      ]);
      assert.deepEqual(
        results.map((result) => result.status),
        ['rejected', 'rejected'],
      );
      await store.put('kv', { id: 'z', v: 26 });
      assert.equal(store.count('kv'), 2);
      assert.equal(store.count('other'), 0);
      crashAndRestart();
      assert.equal(store.replayed.puts, 2, 'a and z, none of the refused turn');
      assert.equal(value('kv', 'kv0'), null);
      assert.equal(store.count('kv'), 2);
      assert.equal(store.count('other'), 0);
    });
  });

  /** The mesh's writes against a local put whose row waits: last-writer-wins compares with the put, not the row under it. */
  describe('from the mesh', () => {
    beforeEach(() => {
      store.createTable({ name: 'kv', attributes: ['id', 'v'], replicate: 'mesh', owner: 'alice' });
    });
    /** A batch from peer b writing `key` at `hlc`. */
    const fromPeer = (key: string, hlc: number, record: unknown): RemoteBatch => {
      const write: RemoteWrite = { seq: 1, table: 'kv', key, hlc, node: 'b', op: 'put', value: encode(record) };
      return {
        from: 'b',
        to: 1,
        changes: [write],
        defs: new Map([['kv', store.replica.definition('kv')!]]),
        checkpoint: () => {},
      };
    };

    it('an older replicated write loses to the waiting put, in its turn and the next', async () => {
      const put = store.put('kv', { id: 'same', v: 'local' });
      const early = await store.replica.apply(fromPeer('same', 1, { id: 'same', v: 'old' }));
      await put;
      assert.equal(early.applied, 0);
      await store.put('kv', { id: 'next', v: 'local' });
      const late = await store.replica.apply(fromPeer('next', 1, { id: 'next', v: 'old' }));
      assert.equal(late.applied, 0);
      await store.put('kv', { id: 'waiting', v: 'local' });
      crashAndRestart();
      assert.deepEqual(value('kv', 'same'), { id: 'same', v: 'local' });
      assert.deepEqual(value('kv', 'next'), { id: 'next', v: 'local' });
      assert.deepEqual(value('kv', 'waiting'), { id: 'waiting', v: 'local' });
    });

    it('a newer replicated write wins over the waiting put, and the replay does not undo it', async () => {
      await store.put('kv', { id: 'k', v: 'local' });
      const ahead = store.replica.hlc + HLC_PER_MS;
      const result = await store.replica.apply(fromPeer('k', ahead, { id: 'k', v: 'remote' }));
      assert.equal(result.applied, 1);
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 'remote' });
      await store.put('kv', { id: 'other', v: 1 });
      crashAndRestart();
      assert.equal(store.replayed.puts, 1);
      assert.deepEqual(value('kv', 'k'), { id: 'k', v: 'remote' });
      const rows = store.replica.changesAfter(0, 100).filter((entry) => entry.k === 'k');
      assert.deepEqual(
        rows.map((entry) => entry.node),
        ['b'],
      );
    });
  });
});
