import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Database } from 'better-sqlite3';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { HLC_PER_MS } from '../../daemon/store/hlc.js';
import { frameSize, type TurnRows, writeFrame } from '../../daemon/store/journal-frames.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { journalIn } from '../../daemon/store/put-journal.js';
import { Store } from '../../daemon/store/store.js';
import { tempDir } from '../helpers/daemon.js';

function frameOf(turn: TurnRows[]): Buffer {
  const frame = Buffer.alloc(frameSize(turn));
  writeFrame(frame, turn);
  return frame;
}

/**
 * A frame failing its checksum ends the reading, on the ground that it is a write the
 * last run died in. That holds for the last frame only: a damaged frame followed by
 * whole ones (damage on the disk, a bit flip) is not a cut write, and the whole
 * frames after it were acknowledged. The start writes none of them, reports the rest
 * of the file as an ignored cut write, and empties the file: the only copy of those
 * acknowledged puts is gone. A damaged journal must stop the start (or be moved aside),
 * as a journal naming an unknown table does, never be thrown away.
 */
describe('a damaged frame with whole frames after it', () => {
  const dir = tempDir();
  let db: Database | undefined;
  let store: Store | undefined;

  after(() => {
    try {
      store?.close();
    } finally {
      db?.close();
      dir.remove();
    }
  });

  it('does not empty the journal', () => {
    db = openDatabase(dir.path, 'normal', { node: 'a' });
    const first = new Store(db, 'a', Date.now, 60_000, journalIn(dir.path, 60_000));
    first.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    first.close();
    db.close();

    // Two turns the last run acknowledged, seqs far above the head; one byte of the first is damaged.
    const hlc = Date.now() * HLC_PER_MS;
    const row = (id: string, seq: number): TurnRows => ({
      table: 'kv',
      valuesPerRow: 4,
      values: [id, encode({ id, v: seq }), hlc + seq, seq],
    });
    const damaged = frameOf([row('a', 1000)]);
    damaged[damaged.length - 20]! ^= 0xff;
    const journal = Buffer.concat([damaged, frameOf([row('b', 1001)])]);
    const path = join(dir.path, 'cortex.puts');
    writeFileSync(path, journal);

    db = openDatabase(dir.path, 'normal', { node: 'a' });
    try {
      store = new Store(db, 'a', Date.now, 60_000, journalIn(dir.path, 60_000));
    } catch {
      // refusing to start over a damaged journal is a right answer
    }
    const kept = readdirSync(dir.path).some((name) => readFileSync(join(dir.path, name)).equals(journal));
    assert.ok(
      kept || store?.get('kv', 'b') != null,
      'the acknowledged frame after the damage is written again, or the journal is kept',
    );
  });
});
