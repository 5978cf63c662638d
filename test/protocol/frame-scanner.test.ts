import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode as referenceEncode } from '@msgpack/msgpack';
import { CortexError } from '../../src/protocol/errors.js';
import { FrameScanner, peekRequestId } from '../../src/protocol/frame-scanner.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { MAX_DEPTH, MAX_REQUEST_DEPTH, type MsgValue } from '../../src/protocol/msgpack-types.js';
import { nestedArrayBytes, randomValue, Rng } from './random.js';

/** Feeds `chunks` to one scanner and returns the stream offsets where messages end. */
function boundaries(chunks: readonly Uint8Array[], scanner = new FrameScanner()): number[] {
  const ends: number[] = [];
  let base = 0;
  for (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      const end = scanner.scan(chunk, offset);
      if (end === -1) break;
      assert.ok(end > offset && end <= chunk.length, `scan returned ${end} from ${offset} in ${chunk.length}`);
      ends.push(base + end);
      offset = end;
    }
    base += chunk.length;
  }
  return ends;
}

/** Cuts a stream fed as `chunks` into whole messages, the way a connection does, and decodes them. */
function messages(chunks: readonly Uint8Array[]): MsgValue[] {
  const stream = Buffer.concat(chunks);
  const out: MsgValue[] = [];
  let start = 0;
  for (const end of boundaries(chunks)) {
    out.push(decode(stream.subarray(start, end)));
    start = end;
  }
  return out;
}

/** Splits `bytes` at the given offsets. */
function split(bytes: Uint8Array, ...at: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of at) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  out.push(bytes.subarray(from));
  return out;
}

function expectedEnds(parts: readonly Uint8Array[]): number[] {
  let total = 0;
  return parts.map((part) => (total += part.length));
}

function assertEproto(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof CortexError, `expected a CortexError, got ${String(error)}`);
    assert.equal(error.code, 'EPROTO');
    assert.match(error.message, pattern);
    return true;
  });
}

/** One message of every kind of header the scanner has to walk. */
const CORPUS: MsgValue[] = [
  [0, 1, 'ping', {}],
  [0, 0xffffffff, 'get', { table: 'users', key: 'u1' }],
  [1, 300, null, { record: { id: 'u1', n: -129, big: 2 ** 40, neg: -(2 ** 40), f: 1.5, t: true, z: null } }],
  [1, 70000, { code: 'ENOTFOUND', message: 'There is no table named "x".' }, null],
  [2, 'event', { at: new Date(1_700_000_000_123), early: new Date(-1) }],
  [0, 7, 'put', { table: 't', record: { id: 1, bin: Uint8Array.from([1, 2, 3]), empty: new Uint8Array(0), s: '' } }],
  [0, 8, 'put', { table: 't', record: { id: 2, s8: 'x'.repeat(200), b16: new Uint8Array(300), s16: 'é'.repeat(200) } }],
  [0, 9, 'put_many', { table: 't', records: Array.from({ length: 20 }, (_, i) => ({ id: i, v: [i, [i, [i]]] })) }],
  Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i * 1000])),
  [[], {}, [[]], [{}], 0x7f, -32, 255, 65535, 65536, -32769, 2n ** 63n, -(2n ** 63n), 2n ** 64n - 1n],
  'a top-level string',
  42,
  null,
];

describe('FrameScanner', () => {
  const parts = CORPUS.map((value) => encode(value));
  const stream = Buffer.concat(parts);
  const ends = expectedEnds(parts);

  it('finds every message end in a stream fed in one chunk', () => {
    assert.deepEqual(boundaries([stream]), ends);
    assert.deepEqual(
      messages([stream]).map((value) => encode(value).toString('hex')),
      parts.map((part) => part.toString('hex')),
    );
  });

  it(`finds the same ends when the stream (${stream.length} bytes) is split at every byte offset`, () => {
    for (let at = 0; at <= stream.length; at++) {
      assert.deepEqual(boundaries(split(stream, at)), ends, `split at ${at}`);
    }
  });

  it('finds the same ends when every message is split in three at every pair of offsets', () => {
    for (const part of parts.slice(0, 8)) {
      for (let a = 0; a <= part.length; a++) {
        for (let b = a; b <= part.length; b += 3) {
          assert.deepEqual(boundaries(split(part, a, b)), [part.length], `split at ${a} and ${b}`);
        }
      }
    }
  });

  it('finds the same ends when the stream is fed one byte at a time, and decodes the same values', () => {
    const bytes = Array.from(stream, (byte) => Uint8Array.of(byte));
    assert.deepEqual(boundaries(bytes), ends);
    const decoded = messages(bytes);
    assert.deepEqual(
      decoded.map((value) => encode(value).toString('hex')),
      parts.map((part) => part.toString('hex')),
    );
  });

  it('reads messages written by @msgpack/msgpack, split at every offset', () => {
    const theirs = [
      referenceEncode([0, 1, 'get', { table: 't', key: 'k' }]),
      referenceEncode([0, 2, 'put', { table: 't', record: { id: 'k', at: new Date(1500), at2: new Date(1000) } }]),
      referenceEncode([0, 3, 'x', [{ f32: 1.5 }]], { forceFloat32: true }),
    ];
    const bytes = Buffer.concat(theirs);
    for (let at = 0; at <= bytes.length; at++) {
      assert.deepEqual(boundaries(split(bytes, at)), expectedEnds(theirs), `split at ${at}`);
    }
  });

  it('finds 10,000 messages in one chunk', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => encode([0, i, 'get', { table: 't', key: `k${i}` }]));
    const chunk = Buffer.concat(many);
    const found = boundaries([chunk]);
    assert.equal(found.length, 10_000);
    assert.deepEqual(found, expectedEnds(many));
    const decoded = messages([chunk]);
    assert.deepEqual(decoded[9_999], [0, 9_999, 'get', { table: 't', key: 'k9999' }]);
  });

  it('carries a 6 MiB string and a 6 MiB binary across many chunks of uneven sizes', () => {
    const rng = new Rng(11);
    const text = 'ü'.repeat(3 * 1024 * 1024);
    const binary = rng.bytes(6 * 1024 * 1024);
    const big = [encode([0, 1, 'put', { table: 't', record: { id: 'big', text } }]), encode([0, 2, 'x', binary])];
    const tail = encode([0, 3, 'ping', {}]);
    const bytes = Buffer.concat([...big, tail]);
    for (const size of [65_536, 7_777, 1_000_003]) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      const scanner = new FrameScanner();
      assert.deepEqual(boundaries(chunks, scanner), expectedEnds([...big, tail]), `chunks of ${size}`);
      assert.ok(scanner.idle);
    }
    const decoded = messages([bytes.subarray(0, 12_345), bytes.subarray(12_345)]);
    assert.equal(((decoded[0] as MsgValue[])[3] as { record: { text: string } }).record.text, text);
    assert.deepEqual(Buffer.from((decoded[1] as MsgValue[])[3] as Uint8Array), Buffer.from(binary));
  });

  it('a 32-bit header split at each of its bytes still gives the right length', () => {
    const message = encode('s'.repeat(70_000));
    const binary = encode(new Uint8Array(70_000));
    const ext = encode(new Date(2 ** 34 * 1000));
    for (const part of [message, binary, ext]) {
      for (let at = 0; at <= 6; at++) {
        for (const tailCut of [part.length - 1, part.length]) {
          const cuts = tailCut > at ? [at, tailCut] : [at];
          assert.deepEqual(boundaries(split(part, ...cuts)), [part.length], `cut at ${cuts.join(',')}`);
        }
      }
    }
  });

  it('counts zero-length payloads as complete values', () => {
    const bytes = Buffer.from([
      0xa0, // ""
      0xc4,
      0x00, // empty bin8
      0xc7,
      0x00,
      0x05, // ext8 of length 0, type 5
      0xd9,
      0x00, // str8 of length 0
      0xdc,
      0x00,
      0x00, // array16 of 0
      0xdf,
      0x00,
      0x00,
      0x00,
      0x00, // map32 of 0
    ]);
    assert.deepEqual(boundaries([bytes]), [1, 3, 6, 8, 11, 16]);
    for (let at = 0; at <= bytes.length; at++) assert.deepEqual(boundaries(split(bytes, at)), [1, 3, 6, 8, 11, 16]);
  });

  it('is idle between messages and busy inside one', () => {
    const scanner = new FrameScanner();
    assert.ok(scanner.idle);
    const bytes = encode([0, 1, 'ping', {}]);
    assert.equal(scanner.scan(bytes.subarray(0, 3), 0), -1);
    assert.ok(!scanner.idle);
    assert.equal(scanner.scan(bytes.subarray(3), 0), bytes.length - 3);
    assert.ok(scanner.idle);
  });

  it('reset() forgets a partly scanned message', () => {
    const scanner = new FrameScanner();
    const bytes = encode([0, 1, 'ping', { pad: 'x'.repeat(100) }]);
    assert.equal(scanner.scan(bytes.subarray(0, 20), 0), -1);
    scanner.reset();
    assert.ok(scanner.idle);
    assert.deepEqual(boundaries([bytes], scanner), [bytes.length]);
  });

  describe('invalid input', () => {
    it('0xc1 is the only byte that cannot start a value', () => {
      for (let byte = 0; byte < 256; byte++) {
        const scanner = new FrameScanner();
        if (byte === 0xc1) assertEproto(() => scanner.scan(Uint8Array.of(byte), 0), /0xc1/);
        else assert.doesNotThrow(() => scanner.scan(Uint8Array.of(byte), 0), `type byte 0x${byte.toString(16)}`);
      }
    });

    it('throws EPROTO on 0xc1 at the top, inside an array, as a map key or value, and after a split', () => {
      const cases = [
        [0xc1],
        [0x94, 0x00, 0x01, 0xc1],
        [0x82, 0xa1, 0x61, 0x01, 0xc1, 0x02],
        [0x81, 0xa1, 0x61, 0xc1],
        [0x01, 0x02, 0xc1], // two good messages, then garbage
      ];
      for (const bytes of cases) {
        for (let at = 0; at <= bytes.length; at++) {
          assertEproto(() => boundaries(split(Uint8Array.from(bytes), at)), /0xc1/);
        }
      }
    });

    it(`accepts ${MAX_DEPTH} nested containers and refuses ${MAX_DEPTH + 1}, in one chunk or byte by byte`, () => {
      const deepest = nestedArrayBytes(MAX_DEPTH);
      assert.deepEqual(boundaries([deepest]), [deepest.length]);
      assert.deepEqual(
        boundaries(Array.from(deepest, (byte) => Uint8Array.of(byte))),
        [deepest.length],
        'byte by byte',
      );
      const tooDeep = nestedArrayBytes(MAX_DEPTH + 1);
      assertEproto(() => boundaries([tooDeep]), /nests deeper/);
      assertEproto(() => boundaries(Array.from(tooDeep, (byte) => Uint8Array.of(byte))), /nests deeper/);
      // Maps count the same way.
      const maps = Buffer.from([...new Array<number>(MAX_DEPTH + 1).fill(0).flatMap(() => [0x81, 0xa1, 0x76]), 0x00]);
      assertEproto(() => boundaries([maps]), /nests deeper/);
      // The daemon's scanner takes a lower limit for requests.
      const requestScanner = (): FrameScanner => new FrameScanner(MAX_REQUEST_DEPTH);
      const deepestRequest = nestedArrayBytes(MAX_REQUEST_DEPTH);
      assert.deepEqual(boundaries([deepestRequest], requestScanner()), [deepestRequest.length]);
      assertEproto(
        () => boundaries([nestedArrayBytes(MAX_REQUEST_DEPTH + 1)], requestScanner()),
        new RegExp(`nests deeper than ${MAX_REQUEST_DEPTH} levels`),
      );
      // Refused as soon as the level is opened, without waiting for the rest.
      assertEproto(() => new FrameScanner().scan(Buffer.alloc(1_000_000, 0x91), 0), /nests deeper/);
    });
  });

  it('random messages in random chunkings decode to the same values (seeded)', () => {
    const rng = new Rng(0xf4a3e);
    const values = Array.from({ length: 300 }, () => randomValue(rng, { bigints: true, dates: true, maxDepth: 5 }));
    const encoded = values.map((value) => encode(value));
    const bytes = Buffer.concat(encoded);
    for (let round = 0; round < 20; round++) {
      const chunks: Uint8Array[] = [];
      const maxChunk = rng.pick([1, 7, 64, 4096]);
      for (let at = 0; at < bytes.length;) {
        const size = rng.int(1, maxChunk);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const decoded = messages(chunks);
      assert.equal(decoded.length, values.length);
      decoded.forEach((value, index) => assert.equal(encode(value).toString('hex'), encoded[index]!.toString('hex')));
    }
  });
});

describe('peekRequestId', () => {
  it('reads every msgid size class from the first bytes of a request', () => {
    for (const id of [0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffffff]) {
      const bytes = encode([0, id, 'get', { huge: 'x'.repeat(1000) }]);
      assert.equal(peekRequestId(bytes), id);
      assert.equal(peekRequestId(bytes.subarray(0, 7)), id, `from the first 7 bytes, msgid ${id}`);
    }
  });

  it('returns undefined for anything that is not the start of a request', () => {
    assert.equal(peekRequestId(encode([1, 5, null, null])), undefined);
    assert.equal(peekRequestId(encode([2, 'x', {}])), undefined);
    assert.equal(peekRequestId(encode([0, -1, 'x', {}])), undefined);
    assert.equal(peekRequestId(encode([0, 'one', 'x', {}])), undefined);
    assert.equal(peekRequestId(encode({ a: 1 })), undefined);
    assert.equal(peekRequestId(Buffer.from([0x94, 0x00])), undefined);
    assert.equal(peekRequestId(Buffer.from([0x94, 0x00, 0xce, 0x00])), undefined);
    assert.equal(peekRequestId(new Uint8Array(0)), undefined);
  });
});
