import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { HLC_PER_MS } from '../../daemon/store/hlc.js';
import { frameSize, type TurnRows, writeFrame } from '../../daemon/store/journal-frames.js';
import type { Store } from '../../daemon/store/store.js';
import { StoreDir } from '../helpers/store-dir.js';

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
  const dir = new StoreDir();
  after(() => dir.remove());

  it('does not empty the journal', () => {
    const first = dir.open();
    first.store.createTable({ name: 'kv', attributes: ['id', 'v'], owner: 'alice' });
    first.store.close();
    first.db.close();

    // Two turns the last run acknowledged, seqs far above the head; one byte of the first is damaged.
    const hlc = Date.now() * HLC_PER_MS;
    const row = (id: string, seq: number): TurnRows => ({
      name: Buffer.from('kv'),
      valuesPerRow: 4,
      values: [id, encode({ id, v: seq }), hlc + seq, seq],
    });
    const damaged = frameOf([row('a', 1000)]);
    damaged[damaged.length - 20]! ^= 0xff;
    const journal = Buffer.concat([damaged, frameOf([row('b', 1001)])]);
    const path = join(dir.path, 'cortex.puts');
    writeFileSync(path, journal);

    let store: Store | undefined;
    try {
      store = dir.open().store;
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
