import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import { Decoder, decode, encodedFieldValues } from '../../src/protocol/msgpack-decode.js';
import { EncodedMap, MAX_REQUEST_DEPTH, type MsgValue } from '../../src/protocol/msgpack-types.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** `put ['t', record]` as a request's bytes, the record given as its own bytes. */
function putRequest(record: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x94, 0x00, 0x01, 0xa3, ...Buffer.from('put'), 0x92, 0xa1, 0x74]), record]);
}

/** The map {a: value, z: 1} with `value` given as its bytes. */
function recordAround(value: number[]): Buffer {
  return Buffer.from([0x82, 0xa1, 0x61, ...value, 0xa1, 0x7a, 0x01]);
}

/** The map {z: 1, a: value}: the value last, where a cut leaves nothing after it to stumble on. */
function recordEndingIn(value: number[]): Buffer {
  return Buffer.from([0x82, 0xa1, 0x7a, 0x01, 0xa1, 0x61, ...value]);
}

/** What decoding does with `bytes`: the value as JSON, or the error's code and message. */
function outcome(run: () => MsgValue): string {
  try {
    const value = run();
    return JSON.stringify(value instanceof EncodedMap ? decode(value.bytes) : value);
  } catch (error) {
    assert.ok(error instanceof CortexError, String(error));
    return `${error.code}: ${error.message}`;
  }
}

describe("a left record's values skipped by their first byte", () => {
  // One value of each type whose first byte tells its size, and a str8: the kinds skipped without skip()'s switch.
  const values: [string, number[]][] = [
    ['positive fixint', [0x7f]],
    ['negative fixint', [0xe0]],
    ['nil', [0xc0]],
    ['false', [0xc2]],
    ['true', [0xc3]],
    ['fixstr', [0xa3, 0x61, 0x62, 0x63]],
    ['str8', [0xd9, 0x02, 0x68, 0x69]],
    ['uint8', [0xcc, 0xff]],
    ['int8', [0xd0, 0x80]],
    ['uint16', [0xcd, 0x12, 0x34]],
    ['int16', [0xd1, 0x80, 0x00]],
    ['uint32', [0xce, 0x00, 0x01, 0x00, 0x00]],
    ['int32', [0xd2, 0xff, 0xff, 0xff, 0xfe]],
    ['float32', [0xca, 0x3f, 0xc0, 0x00, 0x00]],
    ['float64', [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]],
    ['uint64', [0xcf, 0, 0, 0, 0, 0, 0, 0, 0x05]],
    ['int64', [0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb]],
  ];

  it('leaves each record whole, with the field after the value read where it lies', () => {
    const decoder = new Decoder(MAX_REQUEST_DEPTH, new Set(), new Map([['put', { name: 'record', position: 1 }]]));
    for (const [kind, value] of values) {
      const record = recordAround(value);
      const request = putRequest(record);
      assert.ok(decoder.decodeRequest(request, 0, request.length) >= 0, kind);
      const left = (decoder.takeNotificationParams() as MsgValue[])[1];
      assert.ok(left instanceof EncodedMap, kind);
      assert.equal(hex(left.bytes), hex(record), kind);
      assert.deepEqual(encodedFieldValues(left, ['z']), [1], kind);
    }
  });

  it('refuses each record cut at any byte with the error decode() gives it', () => {
    const decoder = new Decoder(MAX_REQUEST_DEPTH, new Set(), new Map([['put', { name: 'record', position: 1 }]]));
    for (const [kind, value] of values) {
      for (const request of [putRequest(recordAround(value)), putRequest(recordEndingIn(value))]) {
        for (let end = request.length - 1; end > 11; end--) {
          const cut = request.subarray(0, end);
          assert.equal(
            outcome(() => (decoder.decodeRequest(cut, 0, cut.length) >= 0 ? decoder.takeNotificationParams() : null)),
            outcome(() => decode(cut)),
            `${kind} cut at ${end}`,
          );
        }
      }
    }
  });
});
