import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Database } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { OP_PUT } from '../../daemon/store/change-log.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { journalIn } from '../../daemon/store/put-journal.js';
import { Store } from '../../daemon/store/store.js';
import { HELD_MS, StoreDir } from '../helpers/store-dir.js';

/**
 * A full disk as SQLite meets it: `PRAGMA max_page_count` on the store's own connection
 * (the one StoreDir.open returns) stops the database from growing, so the INSERTs of
 * acknowledged puts fail with SQLITE_FULL, as they would on a disk without room. The
 * connection a restart opens has no such limit, unless the test sets it before the store
 * starts (a disk still full at the next start).
 */

/** Lets the database grow by `pages` pages at most from now on (0: not at all). */
function fillUp(db: Database, pages = 0): void {
  const count = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${count + pages}`);
}

/** The code of what `work` throws, or 'none'. */
function codeOf(work: () => unknown): string {
  try {
    work();
    return 'none';
  } catch (error) {
    return error instanceof CortexError ? error.code : `not a CortexError: ${String(error)}`;
  }
}

/** The seq of the last change the store counts as committed (what the mesh sends up to). */
function lastCommitted(store: Store): number {
  return store.replica.committedChangesAfter(0, 1000).at(-1)?.seq ?? 0;
}

/** A value large enough that a few records need pages of their own. */
const BIG = 'x'.repeat(1500);

describe('SQLite full while acknowledged puts wait in the journal', () => {
  const dir = new StoreDir('cortex-disk-full-');
  after(() => dir.remove());

  it('refuses what it cannot answer truly, says the disk is full, and loses no acknowledged put', async () => {
    const { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    store.flush();
    const committedHead = store.replica.headSeq();
    fillUp(db);
    let lost: unknown;
    store.journalLost = (error) => (lost = error);
    const announced: string[] = [];
    store.onChange((change) => announced.push(String(change.key)));

    const answers = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => store.put('kv', { id: `k${index}`, v: BIG })),
    );
    assert.ok(
      answers.every((answer) => answer.status === 'fulfilled'),
      'the puts are acknowledged once journaled',
    );

    // The first read writes the waiting rows: SQLite has no room for them, nor for writing them again.
    assert.equal(
      codeOf(() => store.get('kv', 'k0')),
      'ENOSPC',
      'a read that would miss acknowledged puts is refused',
    );
    assert.ok(lost !== undefined, 'the store stopped: the journal keeps the puts for the next start');
    // A table subscriber's cursor and replay: whatever they give must hold after the restart.
    const head = store.replica.headSeq();
    const replay = store.replica.changesAfter(0, 100).map((entry) => `${entry.seq}:${String(entry.k)}`);
    assert.equal(lastCommitted(store), committedHead, 'the committed head did not move');
    assert.equal(
      codeOf(() => store.close()),
      'ENOSPC',
    );
    db.close();

    // The next start on a disk still full: refused, and told to free room, not to move the journal aside.
    const full = openDatabase(dir.path, 'normal', { node: 'a' });
    fillUp(full);
    let refusal: unknown;
    try {
      new Store(full, 'a', Date.now, 60_000, journalIn(dir.path, HELD_MS)).close();
    } catch (error) {
      refusal = error;
    } finally {
      full.close();
    }
    assert.ok(refusal instanceof CortexError, 'a start that cannot replay the journal is refused');
    assert.equal(refusal.code, 'ENOSPC');
    assert.doesNotMatch(
      refusal.message,
      /move the file aside/,
      'moving the journal aside would lose acknowledged puts',
    );

    // Room again: every acknowledged, announced put is there.
    const again = dir.open().store;
    assert.equal(again.replayed.puts, 20);
    for (const key of announced) assert.deepEqual(decode(again.get('kv', key)!.bytes), { id: key, v: BIG });
    assert.equal(announced.length, 20);
    assert.ok(head <= again.replica.headSeq(), 'the cursor given is not past the log the restart has');
    const kept = new Set(again.replica.changesAfter(0, 100).map((entry) => `${entry.seq}:${String(entry.k)}`));
    for (const entry of replay) assert.ok(kept.has(entry), `${entry} was replayed to a subscriber and then lost`);
  });
});

describe('a turn of 16 clients and a large batch filling the page limit', () => {
  const dir = new StoreDir('cortex-disk-full-');
  after(() => dir.remove());

  it('answers each put with a success that survives or an error whose put is not there', async () => {
    const { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    store.flush();
    store.journalLost = () => {};
    await store.put('kv', { id: 'first', v: BIG }); // journaled in a turn of its own: acknowledged
    fillUp(db);

    // One turn: 16 clients' puts, then a batch that brings the waiting rows past 64, whose statements run in the turn.
    const keys = Array.from({ length: 16 }, (_, index) => `c${index}`);
    const turn = keys.map((key) => store.put('kv', { id: key, v: BIG }));
    const batchKeys = Array.from({ length: 64 }, (_, index) => `b${index}`);
    const batch = store.putMany(
      'kv',
      batchKeys.map((key) => ({ id: key, v: BIG })),
    );
    const answers = await Promise.allSettled([...turn, batch]);
    for (const answer of answers) {
      if (answer.status === 'rejected') {
        assert.ok(answer.reason instanceof CortexError, String(answer.reason));
        assert.equal(answer.reason.code, 'ENOSPC');
      }
    }
    try {
      store.close();
    } catch {
      // the store stopped: its journal keeps what was acknowledged
    }
    db.close();

    const again = dir.open().store;
    const present = (key: string): boolean => again.get('kv', key) !== null;
    assert.ok(present('first'), 'the put acknowledged before the disk filled');
    keys.forEach((key, index) =>
      assert.equal(present(key), answers[index]!.status === 'fulfilled', `${key}: ${answers[index]!.status}`),
    );
    const batchDone = answers[16]!.status === 'fulfilled';
    for (const key of batchKeys) assert.equal(present(key), batchDone, `${key} of the batch`);
  });
});

describe('a commit that fails on a put of its own turn while earlier puts are journaled', () => {
  const dir = new StoreDir('cortex-disk-full-');
  after(() => dir.remove());

  it('hands a subscriber only changes that survive kill -9, and commits the held puts once there is room', async () => {
    let { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    store.flush();
    const committedHead = store.replica.headSeq();
    fillUp(db, 2); // room for a few small rows, none for a large one
    let lost: unknown;
    store.journalLost = (error) => (lost = error);
    for (const key of ['s1', 's2', 's3']) await store.put('kv', { id: key, v: key });

    // A large put in the turn of a subscriber's replay: the replay's commit writes it with the held rows and fails.
    const large = store.put('kv', { id: 'large', v: 'y'.repeat(200_000) });
    const replay = store.replica.changesAfter(0, 100);
    await assert.rejects(large, (error: unknown) => error instanceof CortexError && error.code === 'ENOSPC');
    assert.equal(lost, undefined, 'the journaled puts were written again: the store goes on');
    assert.deepEqual(
      replay.filter((entry) => entry.op === OP_PUT).map((entry) => entry.k),
      ['s1', 's2', 's3'],
      'the replay has the acknowledged puts and not the refused one',
    );
    assert.equal(lastCommitted(store), committedHead, 'nothing was committed');
    assert.deepEqual(decode(store.get('kv', 's2')!.bytes), { id: 's2', v: 's2' }, 'gets are served');

    // kill -9 before any room comes back: the start writes the replayed puts from the journal.
    db.close();
    assert.throws(() => store.close());
    ({ db, store } = dir.open());
    assert.equal(store.replayed.puts, 3);
    const kept = store.replica.changesAfter(0, 100);
    for (const entry of replay) {
      assert.ok(
        kept.some((k) => k.seq === entry.seq && k.k === entry.k && k.hlc === entry.hlc),
        `${String(entry.k)}`,
      );
    }
    assert.equal(store.get('kv', 'large'), null, 'the refused put is not there');

    // The same again in the same process, then room comes back: the held puts commit.
    fillUp(db, 0);
    await store.put('kv', { id: 's4', v: 's4' });
    const again = store.put('kv', { id: 'large2', v: 'y'.repeat(200_000) });
    store.replica.changesAfter(0, 100);
    await assert.rejects(again, /disk is full/);
    db.pragma('max_page_count = 1073741823');
    store.flush();
    const before = store.replica.committedChangesAfter(0, 100).map((entry) => entry.k);
    assert.ok(before.includes('s4'), 'the held put committed once there was room');
  });
});
