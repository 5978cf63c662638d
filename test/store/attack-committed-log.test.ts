import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { type LogEntry, OP_CREATE, OP_DELETE, OP_DROP, OP_PUT } from '../../daemon/store/change-log.js';
import type { Store } from '../../daemon/store/store.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { putRefusedTurn, refusalOfA, StoreDir } from '../helpers/store-dir.js';

/** A turn of the event loop, after the batcher's own end of turn. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Waits for `check` to hold, a turn at a time, for at most `ms`; fails naming `what` otherwise. */
async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Attacks on what a meshed node sends: the change log up to the last commit
 * (Replica.committedChangesAfter), read without committing, while puts wait in a
 * journaled transaction and bookkeeping (transactLater) rides in it. An entry past
 * the committed head could still be rolled back, so it must never be returned; an
 * entry a commit took into the file must be returned, and the log's listeners (the
 * mesh's senders) told, whichever path made the commit; and an acknowledged put must
 * survive whatever bookkeeping shared its transaction.
 *
 * A crash is played in process as in attack-deferred-puts.test.ts: the database is
 * closed under the store, which drops the held transaction as kill -9 does.
 */
describe('attacks on the committed log a meshed node sends from', () => {
  let dir: StoreDir;
  let db: Database;
  let store: Store;

  beforeEach(() => {
    dir = new StoreDir();
    ({ db, store } = dir.open());
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    db.exec('CREATE TABLE book (n INTEGER)');
  });
  afterEach(() => dir.remove());

  const value = (key: string): unknown => {
    const found = store.get('kv', key);
    return found === null ? null : decode(found.bytes);
  };
  const note = (n: number) => store.transactLater(() => db.prepare('INSERT INTO book (n) VALUES (?)').run(n).changes);
  const sent = (after: number): LogEntry[] => store.replica.committedChangesAfter(after, 1000);
  const keysSent = (after: number): unknown[] => sent(after).map((entry) => entry.k);

  /** Ends the store as kill -9 would, then starts it again on the same files. */
  const crashAndRestart = (): void => {
    db.close();
    assert.throws(() => store.close());
    ({ db, store } = dir.open());
  };

  describe('a put acknowledged in the turn of a bookkeeping write (transactLater)', () => {
    // A peer's ack (PeerBook.note) or an empty batch's checkpoint may come in the turn of a put.
    it('survives a crash before the commit', async () => {
      const put = store.put('kv', { id: 'p', v: 1 });
      // Its answer after the crash is the played crash's (the database closed under it), not a real one's.
      void note(1).catch(() => undefined);
      await put;
      crashAndRestart();
      assert.equal(store.replayed.puts, 1);
      assert.deepEqual(value('p'), { id: 'p', v: 1 });
    });

    it('survives a rollback of the transaction it was held in', async () => {
      refusalOfA(db);
      const put = store.put('kv', { id: 'p', v: 1 });
      const noted = note(2);
      await put;
      await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
      await assert.rejects(noted, /refused/);
      assert.deepEqual(value('p'), { id: 'p', v: 1 });
      store.flush();
      assert.deepEqual(keysSent(0).slice(-1), ['p']);
    });
  });

  it('never returns an entry past the last commit, through a rollback, and returns the seqs handed out again once committed', async () => {
    refusalOfA(db);
    const head = store.replica.headSeq();
    await store.put('kv', { id: 'a', v: 1 });
    assert.deepEqual(sent(head), [], 'a journaled put is not sent');
    // Reads run the held INSERT: the row is in SQLite, uncommitted.
    assert.deepEqual(value('a'), { id: 'a', v: 1 });
    assert.deepEqual(sent(head), [], 'its row read in the transaction is not sent either');
    await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
    assert.deepEqual(sent(head), [], 'nor after the rollback wrote it again');
    await store.put('kv', { id: 'b', v: 2 });
    assert.deepEqual(sent(head), []);
    store.flush();
    const entries = sent(head);
    assert.deepEqual(
      entries.map((entry) => [entry.seq, entry.k]),
      [
        [head + 1, 'a'],
        [head + 2, 'b'],
      ],
      'the refused turn took no seq for good: the next put had the next one',
    );
    assert.deepEqual(
      entries.map((entry) => store.replica.rowState('kv', entry.k)?.hlc),
      entries.map((entry) => entry.hlc),
    );
  });

  describe('every commit path sends what it committed, and tells the log', () => {
    let head: number;
    let told: number;
    let stop: () => void;

    beforeEach(async () => {
      store.createTable({ name: 'other', attributes: ['id'], owner: 'alice' });
      head = store.replica.headSeq();
      told = 0;
      stop = store.onLog(() => told++);
      await store.put('kv', { id: 'held', v: 1 });
      assert.deepEqual(sent(head), []);
      assert.equal(told, 0);
    });
    afterEach(() => stop());

    /** The held put and `also` (a put's key, another entry's op) are sent, and the log's listeners heard of it. */
    const sends = (also: unknown[]) => {
      assert.deepEqual(
        sent(head).map((entry) => (entry.op === OP_PUT ? entry.k : entry.op)),
        ['held', ...also],
      );
      assert.ok(told > 0, 'the senders were told the log grew');
    };

    it('a delete', async () => {
      await store.delete('kv', 'held');
      // The delete's tombstone is the held key's newest entry.
      assert.deepEqual(
        sent(head).map((entry) => [entry.k, entry.op]),
        [['held', OP_DELETE]],
      );
      assert.ok(told > 0);
    });

    it('a put_many that must commit after a delete in its turn', async () => {
      const many = store.putMany('kv', [{ id: 'm1' }, { id: 'm2' }]);
      const deleted = store.delete('kv', 'nothing');
      await many;
      assert.equal(await deleted, false);
      sends(['m1', 'm2']);
    });

    it('create_table', () => {
      store.createTable({ name: 'made', attributes: ['id'], owner: 'alice' });
      sends([OP_CREATE]);
    });

    it('drop_table', () => {
      store.dropTable('other', 'alice');
      sends([OP_DROP]);
    });

    it('an import (restore)', () => {
      store.restore((writer) => writer.put('kv', { id: 'imported', v: 2 }));
      sends(['imported']);
    });

    it('a versioned put (putVersioned)', async () => {
      assert.equal(await store.putVersioned('kv', [{ id: 'versioned', v: 3 }], [{ hlc: 1, node: 'z' }]), 1);
      sends(['versioned']);
    });

    it('a write apart (grants, tokens)', () => {
      store.writeApart(() => db.prepare('INSERT INTO book (n) VALUES (1)').run());
      sends([]);
    });

    it('bookkeeping that must commit (transact)', async () => {
      await store.transact(() => undefined);
      sends([]);
    });

    it('bookkeeping that waits (transactLater), once anything commits', async () => {
      const noted = note(5);
      await nextTurn();
      assert.deepEqual(sent(head), [], 'transactLater forces no commit');
      store.flush();
      assert.equal(await noted, 1);
      sends([]);
    });

    it('a replay of the journal at the start', () => {
      crashAndRestart();
      assert.equal(store.replayed.puts, 1);
      assert.deepEqual(keysSent(head), ['held']);
    });
  });

  describe('bookkeeping that waits for the next commit (transactLater)', () => {
    it('is answered by the close, not left waiting', async () => {
      const noted = note(1);
      store.close();
      assert.equal(await noted, 1);
    });

    it('commits at once, as transact does, with commit_interval_ms 0 (no journal)', async () => {
      dir.remove();
      dir = new StoreDir();
      ({ db, store } = dir.open({ heldMs: 0 }));
      db.exec('CREATE TABLE book (n INTEGER)');
      assert.equal(await note(1), 1);
      const reader = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true });
      try {
        assert.equal(reader.prepare('SELECT count(*) FROM book').pluck().get(), 1, 'in the file when answered');
      } finally {
        reader.close();
      }
    });

    it('is refused once the store is closed', async () => {
      store.close();
      await assert.rejects(note(1), { code: 'ECLOSED' });
    });

    it('whose work throws is refused with its error, and takes no acknowledged put with it', async () => {
      await store.put('kv', { id: 'p', v: 1 });
      const noted = note(1);
      const thrown = store.transactLater(() => {
        throw Object.assign(new Error('bad bookkeeping'), { code: 'EINVAL' });
      });
      await assert.rejects(thrown, /bad bookkeeping/);
      await assert.rejects(noted, /bad bookkeeping/);
      assert.deepEqual(value('p'), { id: 'p', v: 1 });
      crashAndRestart();
      assert.deepEqual(value('p'), { id: 'p', v: 1 });
      assert.equal(db.prepare('SELECT count(*) FROM book').pluck().get(), 0);
    });

    it('is refused, not left waiting, when the journaled puts are lost', async () => {
      const refusal = refusalOfA(db);
      await store.put('kv', { id: 'a', v: 1 });
      const noted = note(1);
      refusal.arm();
      await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
      await assert.rejects(noted, /refused/);
      await assert.rejects(note(2), /stopped/);
    });
  });

  describe('with commitWhenQuiet (peers linked)', () => {
    beforeEach(() => store.commitWhenQuiet(2));

    it('a lone put is committed once puts pause, far before the interval', async () => {
      const head = store.replica.headSeq();
      await store.put('kv', { id: 'lone', v: 1 });
      await until('the lone put to be sent', () => keysSent(head).length === 1);
    });

    it('puts written again after a rollback are committed once puts pause, not at the end of the interval', async () => {
      refusalOfA(db);
      const head = store.replica.headSeq();
      await store.put('kv', { id: 'kept', v: 1 });
      await assert.rejects(putRefusedTurn(store, 'kv'), /refused/);
      await until('the put written again to be sent', () => keysSent(head).length === 1);
    });

    it('a put held before the peers linked is committed once puts pause', async () => {
      store.commitWhenQuiet(0);
      const head = store.replica.headSeq();
      await store.put('kv', { id: 'early', v: 1 });
      store.commitWhenQuiet(2);
      await until('the put held before the link to be sent', () => keysSent(head).length === 1);
    });

    it('no timer is left once the store is closed with puts held', async () => {
      await store.put('kv', { id: 'p', v: 1 });
      store.close();
      assert.deepEqual(
        process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout'),
        [],
      );
    });
  });
});
