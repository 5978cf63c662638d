import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode as referenceEncode } from '@msgpack/msgpack';
import type { WireError } from '../../src/protocol/errors.js';
import { Encoder } from '../../src/protocol/msgpack-encode.js';
import { OK, writeResponse } from '../../src/protocol/messages.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** writeResponse's bytes, through an encoder that starts too small, so that every write grows it. */
function written(id: number, error: WireError | null, result: unknown): string {
  const encoder = new Encoder(1);
  writeResponse(encoder, id, error, result);
  return hex(encoder.take());
}

describe("a response's head, written without the encoder's dispatch", () => {
  // Each width's edges: fixint, uint8, uint16, uint32.
  const ids = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0xffff_ffff];

  it('gives every msgid the bytes a reference encoder gives [1, id, error, result]', () => {
    const error: WireError = { code: 'EINVAL', message: 'no' };
    for (const id of ids) {
      assert.equal(written(id, null, OK), hex(referenceEncode([1, id, null, { ok: true }])), `id ${id}`);
      assert.equal(written(id, null, { n: id }), hex(referenceEncode([1, id, null, { n: id }])), `id ${id}`);
      assert.equal(written(id, error, null), hex(referenceEncode([1, id, error, null])), `id ${id}`);
    }
  });

  it('writes a number that is no msgid as the encoder would, not as a truncated uint32', () => {
    for (const id of [2 ** 32, -1, 1.5]) {
      assert.equal(written(id, null, null), hex(referenceEncode([1, id, null, null])), `id ${id}`);
    }
  });

  it('appends single bytes after what is written, growing the buffer', () => {
    const encoder = new Encoder(1);
    encoder.encode('x');
    for (let byte = 0; byte < 300; byte++) encoder.appendByte(byte & 0xff);
    encoder.encode(1);
    const expected = Buffer.concat([
      Buffer.from([0xa1, 0x78]),
      Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff)),
      Buffer.from([1]),
    ]);
    assert.equal(hex(encoder.take()), hex(expected));
  });
});
