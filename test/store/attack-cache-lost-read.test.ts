import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { putRefusedTurn, refusalOfA, StoreDir } from '../helpers/store-dir.js';

/**
 * Once the journaled puts are lost (a rollback took them and writing them again failed),
 * the store must answer no read: SQLite no longer holds acknowledged puts. WriteBatcher.read()
 * checks that at its start only; when the get's own read() ends the turn and that turn is
 * what loses the puts, read() goes on, opens a read transaction and the get reads the
 * record as it was before the lost put. Before the record cache that was one wrong answer
 * (every later get threw "The store stopped"); with the cache, that answer is kept, and
 * every later get of the key answers it from memory without reaching read() at all, until
 * the daemon's stop closes the store (it first stops the mesh, so that can take a while).
 */
describe('a get whose own read loses the journaled puts', () => {
  const dir = new StoreDir('cortex-attack-cache-');
  after(() => dir.remove());

  it('refuses, and so does every later get of that key', async () => {
    const { db, store: s } = dir.open();
    s.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    // 'bad' fails its turn; once armed, the journal's restore of 'a' fails too: the puts are lost.
    const refusal = refusalOfA(db);
    let lost = false;
    s.journalLost = () => (lost = true);

    await s.put('kv', { id: 'a', v: 1 });
    s.flush(); // v: 1 is committed
    await s.put('kv', { id: 'a', v: 2 }); // v: 2 is acknowledged from the journal, in the held transaction
    refusal.arm();

    // A client's puts and another's get of 'a' in one turn: the get's read() ends the turn, which fails.
    const bad = putRefusedTurn(s, 'kv');
    const attempt = (): string => {
      try {
        const record = s.get('kv', 'a');
        return record === null ? 'null' : `v: ${String((decode(record.bytes) as { v: unknown }).v)}`;
      } catch (error) {
        return /The store stopped/.test((error as Error).message) ? 'refused' : (error as Error).message;
      }
    };
    const first = attempt();
    await assert.rejects(bad, /refused/);
    assert.ok(lost, 'the store lost its journaled puts');
    const later = [attempt(), attempt()];
    // On 23f08ca: ['v: 1', 'v: 1', 'v: 1'], the put acknowledged as v: 2 answered as never made, from the cache.
    assert.deepEqual([first, ...later], ['refused', 'refused', 'refused']);
  });
});
