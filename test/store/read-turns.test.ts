import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { loadTurnCounter } from '../../daemon/native/turns.js';
import { WriteBatcher } from '../../daemon/store/write-batcher.js';
import { tempDir } from '../helpers/daemon.js';

const TURNS_MODULE = fileURLToPath(new URL('../../daemon/native/turns.js', import.meta.url));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `read` in each of two setImmediate callbacks queued together: one turn, two callbacks, microtasks between. */
function inTwoCallbacksOfOneTurn(read: () => boolean): Promise<boolean[]> {
  return new Promise((resolve) => {
    const seen: boolean[] = [];
    setImmediate(() => {
      seen.push(read());
      // Microtasks run between the two callbacks; they must not end the turn.
      void Promise.resolve().then(() => seen.push(read()));
    });
    setImmediate(() => {
      seen.push(read());
      resolve(seen);
    });
  });
}

describe("the event loop's turn counter (the native addon)", () => {
  it('moves once per turn, and not for microtasks or callbacks within the turn', async () => {
    const turns = loadTurnCounter();
    assert.ok(turns, 'the addon is built, so the counter is there');
    const start = turns[0]!;
    await Promise.resolve();
    assert.equal(turns[0], start);
    await nextTurn();
    await nextTurn();
    assert.equal(turns[0], start + 2);
  });

  it('keeps nothing alive: a process that holds a counter and has nothing else to do exits', async () => {
    const script = `import(${JSON.stringify(TURNS_MODULE)}).then((m) => { globalThis.held = m.loadTurnCounter(); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
  });

  it('does not make an idle loop spin: a 50 ms wait is a few turns, not thousands', async () => {
    const turns = loadTurnCounter()!;
    const start = turns[0]!;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(turns[0]! - start < 20, `${turns[0]! - start} turns in 50 ms of idleness`);
  });
});

describe('reads by event loop turn (WriteBatcher.read)', () => {
  const dir = tempDir();
  let db: Database;
  let scheduled = 0;
  const schedule = (callback: () => void) => {
    scheduled++;
    setImmediate(callback);
  };
  const readingWith = (turns: Uint32Array | null) => {
    const batcher = new WriteBatcher(db, {}, undefined, 1024, schedule, turns);
    return () => {
      batcher.read();
      db.prepare('SELECT 1').get();
      return db.inTransaction;
    };
  };

  before(() => {
    db = new BetterSqlite3(join(dir.path, 'turns.db'));
    db.pragma('journal_mode = WAL');
  });
  after(() => {
    db.close();
    dir.remove();
  });

  for (const [name, turns] of [
    ['the native turn counter', loadTurnCounter()],
    ['no turn counter (the addon missing)', null],
  ] as const) {
    it(`with ${name}: a read alone in its turn runs in autocommit, the second read of a turn opens a read transaction until the turn ends`, async () => {
      const read = readingWith(turns);
      await nextTurn();
      assert.equal(read(), false);
      await nextTurn();
      // Another turn: alone again, so still no transaction.
      assert.equal(read(), false);
      assert.equal(read(), true);
      await nextTurn();
      assert.equal(db.inTransaction, false);
      // Reads of many connections are separate callbacks of one turn: they share the transaction.
      assert.deepEqual(await inTwoCallbacksOfOneTurn(read), [false, true, true]);
      await nextTurn();
      assert.equal(db.inTransaction, false);
    });
  }

  it('with the turn counter, a lone read schedules nothing; without it, a callback to mark its turn', async () => {
    const counted = readingWith(loadTurnCounter());
    await nextTurn();
    scheduled = 0;
    counted();
    assert.equal(scheduled, 0);
    await nextTurn();
    const uncounted = readingWith(null);
    uncounted();
    assert.equal(scheduled, 1);
    await nextTurn();
  });
});
