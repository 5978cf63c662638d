import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { Store } from '../../daemon/store/store.js';
import { putRefusedTurn, refusalOfA, StoreDir } from '../helpers/store-dir.js';

/** A turn of the event loop, after the batcher's own end of turn. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Bookkeeping that may wait for the next commit (a peer's ack, a checkpoint past
 * echoes) joins the held transaction instead of forcing a commit of its own, and
 * is answered by the commit that takes it into the file: each ack of a linked
 * peer used to be a commit, and each commit sent the peer its next batch.
 */
describe('bookkeeping written with the next commit (transactLater)', () => {
  let dir: StoreDir;
  let db: Database;
  let store: Store;
  /** Rows of the bookkeeping table in the file, read by another connection: what is committed. */
  const committed = (): number => {
    const reader = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true, fileMustExist: true });
    try {
      return reader.prepare('SELECT count(*) FROM book').pluck().get() as number;
    } finally {
      reader.close();
    }
  };
  const note = (n: number) => store.transactLater(() => db.prepare('INSERT INTO book (n) VALUES (?)').run(n).changes);

  beforeEach(() => {
    dir = new StoreDir();
    ({ db, store } = dir.open());
    db.exec('CREATE TABLE book (n INTEGER)');
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
  });
  afterEach(() => dir.remove());

  it('waits for a write that must commit, and is answered by its commit', async () => {
    let answered: number | undefined;
    void note(1).then((changes) => (answered = changes));
    await nextTurn();
    await nextTurn();
    assert.equal(committed(), 0, 'no commit of its own');
    assert.equal(answered, undefined, 'not answered before its commit');
    await store.transact(() => undefined);
    assert.equal(committed(), 1);
    await nextTurn();
    assert.equal(answered, 1);
  });

  it('rides in the transaction of journaled puts and commits with them at the end of the interval', async () => {
    dir.remove();
    dir = new StoreDir();
    ({ db, store } = dir.open({ heldMs: 50 }));
    db.exec('CREATE TABLE book (n INTEGER)');
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    await store.put('kv', { id: 'a', v: 1 });
    const noted = note(2);
    assert.equal(committed(), 0);
    assert.equal(await noted, 1);
    assert.equal(committed(), 1, 'committed by the interval, with the put');
    assert.equal(store.count('kv'), 1);
  });

  it('is rejected, and not written, when the transaction it joined is rolled back', async () => {
    refusalOfA(db);
    const noted = note(3);
    await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
    await assert.rejects(noted, /refused/);
    await store.transact(() => undefined);
    assert.equal(committed(), 0);
  });
});
