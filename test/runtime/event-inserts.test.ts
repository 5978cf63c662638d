import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EventInserts, type EventRow } from '../../daemon/runtime/event-inserts.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { tempDir } from '../helpers/daemon.js';

/**
 * A batch of events goes into `_events` through multi-row statements of 64, 16, 4 and 1 rows: whatever the
 * batch's size, every row is stored once with its own values, and a row that cannot be stored fails the
 * insert instead of being dropped.
 */
describe('events inserted many rows to a statement', () => {
  const dir = tempDir('cortex-event-inserts-');
  const db = openDatabase(dir.path, 'normal', { node: 'test-node' });
  const inserts = new EventInserts(db);
  after(() => {
    db.close();
    dir.remove();
  });

  const rowsOf = (session: string, count: number, from = 1): EventRow[] =>
    Array.from({ length: count }, (_, index) => {
      const seq = from + index;
      return {
        event: { session, seq, time: 1_700_000_000_000 + seq, turn: 1 + (seq % 3), type: 'agent_message' },
        payload: Buffer.from([0x81, 0xa1, 0x6e, 0xcd, seq >> 8, seq & 0xff]),
      };
    });

  const stored = (session: string) =>
    db
      .prepare<[string], { seq: number; time: number; turn: number; type: string; payload: Buffer }>(
        'SELECT seq, time, turn, type, payload FROM _events WHERE session = ? ORDER BY seq',
      )
      .all(session);

  for (const count of [1, 3, 4, 5, 15, 16, 21, 63, 64, 65, 85, 149, 1000]) {
    it(`stores a batch of ${count} exactly`, () => {
      const session = `s-${count}`;
      const rows = rowsOf(session, count);
      db.transaction(() => inserts.insert(rows))();
      assert.deepEqual(
        stored(session),
        rows.map(({ event, payload }) => ({
          seq: event.seq,
          time: event.time,
          turn: event.turn,
          type: event.type,
          payload,
        })),
      );
    });
  }

  it('stores nothing for an empty batch', () => {
    inserts.insert([]);
    assert.deepEqual(stored('s-empty'), []);
  });

  it('fails, and stores none of its statement, when a row in the middle of a chunk is already stored', () => {
    const session = 's-duplicate';
    db.transaction(() => inserts.insert(rowsOf(session, 1, 40)))();
    assert.throws(() => db.transaction(() => inserts.insert(rowsOf(session, 100)))(), /UNIQUE|PRIMARY KEY/);
    assert.deepEqual(
      stored(session).map((row) => row.seq),
      [40],
      'the failed batch was rolled back whole',
    );
  });
});
