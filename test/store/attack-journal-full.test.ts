import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { JOURNAL_FILE } from '../../daemon/store/put-journal.js';
import { StoreDir } from '../helpers/store-dir.js';

/**
 * The put journal's append failing, as it does on a full disk: a file size limit
 * (RLIMIT_FSIZE, set on this test's own process with prlimit) past the journal's end.
 * Node ignores SIGXFSZ, so the write fails with EFBIG (after a short write of what fits)
 * instead of killing the process. SQLite writes nothing while the limit holds: the puts'
 * transaction is held open, its pages in memory, until the test lifts the limit.
 */

/** Sets this process's soft file size limit; 'unlimited' gives back the hard one. */
function limitFileSize(bytes: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${bytes}:`]);
}

const isDiskFull = (error: unknown): boolean =>
  error instanceof CortexError && error.code === 'ENOSPC' && /disk is full/.test(error.message);

describe('the put journal cannot grow', () => {
  const dir = new StoreDir('cortex-journal-full-');
  after(() => {
    limitFileSize('unlimited');
    dir.remove();
  });

  it('refuses the puts it could not journal with ENOSPC and keeps every acknowledged one', async () => {
    let { db, store } = dir.open();
    store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    store.flush();
    let lost: unknown;
    store.journalLost = (error) => (lost = error);
    const announced: string[] = [];
    store.onChange((change) => announced.push(String(change.key)));

    await store.put('kv', { id: 'a', v: 'before the limit' });
    const journalSize = statSync(join(dir.path, JOURNAL_FILE)).size;
    limitFileSize(journalSize + 400);
    try {
      // Larger than the room left: part of its frame is written, the rest fails.
      await assert.rejects(store.put('kv', { id: 'large', v: 'z'.repeat(2000) }), isDiskFull);
      // A turn of 16 clients, together larger than the room left: the one frame fails, all are refused.
      const turn = await Promise.allSettled(
        Array.from({ length: 16 }, (_, index) => store.put('kv', { id: `c${index}`, v: 'w'.repeat(100) })),
      );
      for (const answer of turn) assert.ok(answer.status === 'rejected' && isDiskFull(answer.reason));
      // The cut frame was taken off the end: a small put still fits, and is acknowledged.
      await store.put('kv', { id: 'b', v: 'in the room left' });
      assert.equal(statSync(join(dir.path, JOURNAL_FILE)).size <= journalSize + 400, true);

      assert.equal(lost, undefined, 'the journaled puts were written again after the rollback');
      assert.deepEqual(decode(store.get('kv', 'a')!.bytes), { id: 'a', v: 'before the limit' });
      assert.deepEqual(decode(store.get('kv', 'b')!.bytes), { id: 'b', v: 'in the room left' });
      assert.equal(store.get('kv', 'large'), null, 'a refused put is not there');
      assert.equal(store.get('kv', 'c0'), null);
    } finally {
      limitFileSize('unlimited');
    }
    assert.deepEqual(announced, ['a', 'b'], 'subscribers heard of the acknowledged puts only');

    // kill -9 before any commit: the start writes the acknowledged puts from the journal, and nothing else.
    db.close();
    assert.throws(() => store.close());
    ({ db, store } = dir.open());
    assert.equal(store.replayed.puts, 2);
    assert.equal(store.replayed.ignoredBytes, 0, 'no cut frame was left in the journal');
    assert.ok(store.get('kv', 'a') !== null && store.get('kv', 'b') !== null);
    assert.equal(store.get('kv', 'large'), null);
    assert.equal(store.get('kv', 'c15'), null);
  });
});
