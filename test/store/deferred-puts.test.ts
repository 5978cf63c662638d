import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { decode } from '../../src/protocol/msgpack-decode.js';
import type { Store } from '../../daemon/store/store.js';
import { StoreDir } from '../helpers/store-dir.js';

/**
 * A journaled put is acknowledged once its turn's frame is in the put journal, and its
 * INSERT waits in the PutBuffer until a read, another write, the commit or 64 waiting
 * rows run it. Every way of reading the store must see every acknowledged put anyway:
 * each is tried in the turn of the put (the put not awaited) and in a later turn.
 */
describe('puts whose statements wait past their acknowledgment', () => {
  let dir: StoreDir;
  let db: Database;
  let store: Store;
  /** Rows of t_kv on the store's own connection, read around the batcher: what the held transaction holds so far. */
  const inserted = (): number => db.prepare('SELECT count(*) FROM "t_kv"').pluck().get() as number;

  beforeEach(() => {
    dir = new StoreDir();
    ({ db, store } = dir.open());
    store.createTable({ name: 'kv', attributes: ['id', 'v', 'tag'], indexes: ['tag'], owner: 'alice' });
  });
  afterEach(() => dir.remove());

  it('keeps the INSERT of an acknowledged put waiting until something reads', async () => {
    await store.put('kv', { id: 'a', v: 1, tag: 'x' });
    await store.put('kv', { id: 'b', v: 2, tag: 'x' });
    // On the code before: 2, each turn ran its INSERT before its journal write.
    assert.equal(inserted(), 0, 'journaled, not yet inserted');
    assert.equal(store.count('kv'), 2);
    assert.equal(inserted(), 2, 'the read ran the waiting INSERTs first');
  });

  it('writes the waiting rows at once from 64 on', async () => {
    for (let i = 0; i < 63; i++) await store.put('kv', { id: `k${i}`, v: i, tag: 'x' });
    assert.equal(inserted(), 0);
    await store.put('kv', { id: 'k63', v: 63, tag: 'x' });
    assert.equal(inserted(), 64);
  });

  const NEW = { id: 'same', v: 'new', tag: 'new' };
  const OTHER = { id: 'other', v: 'new', tag: 'new' };
  const records = (page: { records: { bytes: Uint8Array }[] }): unknown[] => page.records.map((r) => decode(r.bytes));
  /** Each way of reading, and what it must answer once 'same' and 'other' are put (`head`: the log's head before). */
  const readers: [string, (head: number) => unknown, (head: number) => unknown][] = [
    ['get', () => decode(store.get('kv', 'same')!.bytes), () => NEW],
    ['match on the key', () => records(store.match('kv', { id: 'same' }, 10)), () => [NEW]],
    [
      'match on an indexed attribute',
      () =>
        records(store.match('kv', { tag: 'new' }, 10)).sort((a, b) =>
          JSON.stringify(a).localeCompare(JSON.stringify(b)),
        ),
      () => [OTHER, NEW],
    ],
    ['page with versions (backup, export)', () => records(store.page('kv', 10, undefined, true)), () => [OTHER, NEW]],
    ['page backward', () => records(store.pageBackward('kv', 10)), () => [NEW, OTHER]],
    ['count', () => store.count('kv'), () => 2],
    [
      'the change log (mesh, subscription catch-up)',
      (head) =>
        store.replica
          .changesAfter(head, 100)
          .map((entry) => entry.k)
          .sort(),
      () => ['other', 'same'],
    ],
    ['a row as the mesh sends it', () => decode(store.replica.rowState('kv', 'same')!.v!), () => NEW],
    ['the log head', () => store.replica.headSeq(), (head) => head + 2],
    [
      'beforeRead, then SQL on the connection',
      () => {
        store.beforeRead();
        return decode(db.prepare('SELECT v FROM "t_kv" WHERE k = ?').pluck().get('same') as Buffer);
      },
      () => NEW,
    ],
  ];

  for (const [name, read, expected] of readers) {
    it(`shows acknowledged puts to ${name}, in their turn and in the next`, async () => {
      // An older row of the key, committed and cached: the put must replace it everywhere.
      await store.put('kv', { id: 'same', v: 'old', tag: 'old' });
      store.flush();
      assert.deepEqual(decode(store.get('kv', 'same')!.bytes), { id: 'same', v: 'old', tag: 'old' }, 'cached');

      let head = store.replica.headSeq();
      const puts = [store.put('kv', NEW), store.put('kv', OTHER)];
      assert.deepEqual(read(head), expected(head), 'in the turn of the puts');
      await Promise.all(puts);
      assert.deepEqual(read(head), expected(head), 'after their acknowledgment');

      store.flush();
      head = store.replica.headSeq();
      await store.put('kv', OTHER);
      await store.put('kv', NEW);
      assert.equal(inserted(), 2, 'the two puts of this turn wait (the table holds the committed rows)');
      assert.deepEqual(read(head), expected(head), 'in a later turn');
    });
  }

  it('merges a backup record against the waiting put, not the row under it', async () => {
    await store.put('kv', { id: 'k', v: 'committed', tag: 'x' });
    store.flush();
    const [older] = store.page('kv', 1, undefined, true).versions!;
    await store.put('kv', { id: 'k', v: 'acknowledged', tag: 'x' });
    // A version between the committed row's and the waiting put's: the committed row's clock and a greater
    // node, so newer than it, and older than the put, whose clock is above the committed row's.
    const written = await store.putVersioned(
      'kv',
      [{ id: 'k', v: 'restored', tag: 'x' }],
      [{ hlc: older![0], node: 'z' }],
    );
    assert.equal(written, 0, 'the acknowledged put is newer');
    assert.deepEqual(decode(store.get('kv', 'k')!.bytes), { id: 'k', v: 'acknowledged', tag: 'x' });
  });

  it('tells a change listener of the put, and the listener reads it', async () => {
    const seen: unknown[] = [];
    store.onChange((change) => seen.push([change.key, decode(store.get('kv', change.key)!.bytes)]));
    await store.put('kv', { id: 'k', v: 1, tag: 'x' });
    assert.deepEqual(seen, [['k', { id: 'k', v: 1, tag: 'x' }]]);
  });
});

/**
 * A waiting INSERT that SQLite refuses fails after its put was acknowledged: as after a
 * failed commit, the rollback has the journal write every journaled put again. If that
 * works (the failure passed), the read goes on and sees them all; if it fails too, the
 * store stops, and the next start writes them again from the journal.
 */
describe('a waiting INSERT that fails', () => {
  let dir: StoreDir;
  afterEach(() => dir.remove());

  it('is written again from the journal when the failure passes, and the read sees every put', async () => {
    dir = new StoreDir();
    const { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    let calls = 0;
    db.function('refuse_once', () => (++calls === 1 ? 1 : 0));
    db.exec(
      `CREATE TRIGGER refuse BEFORE INSERT ON "t_kv" WHEN refuse_once() BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
    let lost = false;
    store.journalLost = () => (lost = true);

    await store.put('kv', { id: 'a', v: 1 });
    await store.put('kv', { id: 'b', v: 2 });
    assert.deepEqual(decode(store.get('kv', 'a')!.bytes), { id: 'a', v: 1 });
    assert.deepEqual(decode(store.get('kv', 'b')!.bytes), { id: 'b', v: 2 });
    assert.equal(calls, 3, 'the first row was refused, then both were written again');
    assert.equal(lost, false);
    store.flush();
    const reader = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true });
    try {
      assert.deepEqual(reader.prepare('SELECT k FROM "t_kv" ORDER BY k').pluck().all(), ['a', 'b']);
    } finally {
      reader.close();
    }
  });

  it('stops the store when it fails again, and the next start brings the put back', async () => {
    dir = new StoreDir();
    const { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    db.exec(
      `CREATE TRIGGER refuse BEFORE INSERT ON "t_kv" WHEN NEW.k = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
    let lost = false;
    store.journalLost = () => (lost = true);

    await store.put('kv', { id: 'a', v: 1 });
    // On the code before, this put was refused in its turn: its INSERT ran before its journal write.
    await store.put('kv', { id: 'bad', v: 2 });
    assert.throws(() => store.get('kv', 'a'), /The store stopped/);
    assert.ok(lost);
    await assert.rejects(store.put('kv', { id: 'c', v: 3 }), /The store stopped/);
    assert.throws(() => store.close(), /The store stopped/);
    db.close();

    const fix = new BetterSqlite3(join(dir.path, 'cortex.db'));
    fix.exec('DROP TRIGGER refuse');
    fix.close();
    const { store: next } = dir.open();
    assert.equal(next.replayed.puts, 2);
    assert.deepEqual(decode(next.get('kv', 'a')!.bytes), { id: 'a', v: 1 });
    assert.deepEqual(decode(next.get('kv', 'bad')!.bytes), { id: 'bad', v: 2 });
    assert.equal(next.get('kv', 'c'), null);
  });
});
