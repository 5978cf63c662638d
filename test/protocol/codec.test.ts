import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode as referenceDecode, encode as referenceEncode } from '@msgpack/msgpack';
import { CortexError, type ErrorCode, type WireError } from '../../src/protocol/errors.js';
import {
  Decoder,
  decode,
  decodeEncodedMap,
  encodedFieldValues,
  rawBytesOf,
} from '../../src/protocol/msgpack-decode.js';
import { Encoder, encode } from '../../src/protocol/msgpack-encode.js';
import { OK, writeResponse } from '../../src/protocol/messages.js';
import {
  EncodedMap,
  MAX_DEPTH,
  MAX_REQUEST_DEPTH,
  RawMsgpack,
  type MsgMap,
  type MsgValue,
} from '../../src/protocol/msgpack-types.js';
import { nestedArrays, randomMap, randomValue, Rng } from './random.js';

/** Turns every Buffer into a plain Uint8Array (recursively) so deepStrictEqual compares content only. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  // Object.fromEntries defines own properties, so a '__proto__' key stays data.
  return Object.fromEntries(Object.keys(record).map((key) => [key, plain(record[key])]));
}

function assertSame(actual: unknown, expected: unknown, message?: string): void {
  assert.deepStrictEqual(plain(actual), plain(expected), message);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function assertCortexError(run: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof CortexError, `expected a CortexError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

/** Encodes with ours, checks the header, decodes with ours and with the reference, and checks the bytes match the reference's. */
function checkCanonical(value: MsgValue, head: number[], bytesLength?: number): void {
  const bytes = encode(value);
  assert.deepEqual([...bytes.subarray(0, head.length)], head, `header of ${describeValue(value)}`);
  if (bytesLength !== undefined) assert.equal(bytes.length, bytesLength, `length of ${describeValue(value)}`);
  assertSame(decode(bytes), value);
  assertSame(referenceDecode(bytes), value);
  assert.equal(
    hex(bytes),
    hex(referenceEncode(value)),
    `bytes of ${describeValue(value)} differ from @msgpack/msgpack`,
  );
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} chars`;
  if (value instanceof Uint8Array) return `${value.length} bytes of binary`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return `a map of ${Object.keys(value).length}`;
  return String(value);
}

describe('msgpack codec', () => {
  describe('integers: every size class and its boundaries', () => {
    const cases: [number, number, number][] = [
      [0, 0x00, 1],
      [1, 0x01, 1],
      [127, 0x7f, 1],
      [128, 0xcc, 2],
      [255, 0xcc, 2],
      [256, 0xcd, 3],
      [65535, 0xcd, 3],
      [65536, 0xce, 5],
      [2 ** 32 - 1, 0xce, 5],
      [2 ** 32, 0xcf, 9],
      [Number.MAX_SAFE_INTEGER, 0xcf, 9],
      [-1, 0xff, 1],
      [-32, 0xe0, 1],
      [-33, 0xd0, 2],
      [-128, 0xd0, 2],
      [-129, 0xd1, 3],
      [-32768, 0xd1, 3],
      [-32769, 0xd2, 5],
      [-(2 ** 31), 0xd2, 5],
      [-(2 ** 31) - 1, 0xd3, 9],
      [Number.MIN_SAFE_INTEGER, 0xd3, 9],
    ];
    for (const [value, head, length] of cases) {
      it(`${value} is 0x${head.toString(16)} in ${length} bytes`, () => {
        checkCanonical(value, [head], length);
        assert.equal(decode(encode(value)), value);
      });
    }

    it('decodes non-minimal integer encodings that other encoders may write', () => {
      assert.equal(decode(Buffer.from([0xcd, 0x00, 0x01])), 1);
      assert.equal(decode(Buffer.from([0xce, 0x00, 0x00, 0x00, 0x05])), 5);
      assert.equal(decode(Buffer.from([0xcf, 0, 0, 0, 0, 0, 0, 0, 0x05])), 5);
      assert.equal(decode(Buffer.from([0xd0, 0x05])), 5);
      assert.equal(decode(Buffer.from([0xd1, 0xff, 0xff])), -1);
      assert.equal(decode(Buffer.from([0xd2, 0xff, 0xff, 0xff, 0xfe])), -2);
      assert.equal(decode(Buffer.from([0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), -1);
      // The largest 64-bit values that are still safe JavaScript numbers stay numbers.
      assert.equal(decode(Buffer.from([0xcf, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), 2 ** 53 - 1);
      assert.equal(decode(Buffer.from([0xd3, 0xff, 0xe0, 0, 0, 0, 0, 0, 0x01])), -(2 ** 53) + 1);
    });
  });

  describe('bigints (64-bit)', () => {
    const big = [2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 53n) - 1n, -(2n ** 63n)];
    for (const value of big) {
      it(`${value} round-trips as a bigint and matches @msgpack/msgpack (useBigInt64)`, () => {
        const bytes = encode(value);
        assert.equal(bytes.length, 9);
        assert.equal(bytes[0], value >= 0n ? 0xcf : 0xd3);
        const back = decode(bytes);
        assert.equal(typeof back, 'bigint');
        assert.equal(back, value);
        assert.equal(hex(bytes), hex(referenceEncode(value, { useBigInt64: true })));
        assert.equal(referenceDecode(bytes, { useBigInt64: true }), value);
        assert.equal(decode(referenceEncode(value, { useBigInt64: true })), value);
      });
    }

    it('a bigint that fits in 53 bits comes back as a number', () => {
      assert.equal(decode(encode(42n)), 42);
      assert.equal(decode(encode(-42n)), -42);
      assert.equal(decode(encode(0n)), 0);
    });

    it('refuses bigints outside 64 bits with EINVAL', () => {
      assertCortexError(() => encode(2n ** 64n), 'EINVAL', /64 bits/);
      assertCortexError(() => encode(-(2n ** 63n) - 1n), 'EINVAL', /64 bits/);
    });
  });

  describe('floats', () => {
    const floats = [0.5, -1.25, Math.PI, 1e300, -1e-300, Number.MIN_VALUE, Number.MAX_VALUE, Infinity, -Infinity];
    for (const value of floats) {
      it(`${value} is a float64 identical to @msgpack/msgpack's`, () => checkCanonical(value, [0xcb], 9));
    }

    it('NaN round-trips', () => {
      const bytes = encode(NaN);
      assert.equal(bytes[0], 0xcb);
      assert.ok(Number.isNaN(decode(bytes)));
      assert.ok(Number.isNaN(referenceDecode(bytes)));
    });

    it('-0 keeps its sign (float64), both ways', () => {
      const bytes = encode(-0);
      assert.equal(hex(bytes), 'cb8000000000000000');
      assert.ok(Object.is(decode(bytes), -0));
      assert.ok(Object.is(referenceDecode(bytes), -0));
      assert.ok(Object.is(decode(encode(0)), 0));
      assert.equal(hex(encode(0)), '00');
    });

    it('integers beyond 2^53 that are numbers go out as float64', () => {
      assert.equal(encode(2 ** 53)[0], 0xcb);
      assert.equal(decode(encode(2 ** 53)), 2 ** 53);
      assert.equal(decode(encode(-(2 ** 60))), -(2 ** 60));
      assert.equal(decode(encode(2 ** 64)), 2 ** 64);
    });

    it('decodes float32', () => {
      assert.equal(decode(Buffer.from([0xca, 0x3f, 0xc0, 0x00, 0x00])), 1.5);
      assert.equal(decode(referenceEncode(-2.5, { forceFloat32: true })), -2.5);
      assertSame(decode(referenceEncode([0.25, 100.5], { forceFloat32: true })), [0.25, 100.5]);
    });
  });

  describe('strings', () => {
    const cases: [number, number[]][] = [
      [0, [0xa0]],
      [1, [0xa1]],
      [15, [0xaf]],
      [16, [0xb0]],
      [31, [0xbf]],
      [32, [0xd9, 32]],
      [255, [0xd9, 255]],
      [256, [0xda, 0x01, 0x00]],
      [65535, [0xda, 0xff, 0xff]],
      [65536, [0xdb, 0x00, 0x01, 0x00, 0x00]],
      [100_000, [0xdb, 0x00, 0x01, 0x86, 0xa0]],
    ];
    for (const [length, head] of cases) {
      it(`an ASCII string of ${length} bytes`, () => {
        const value = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(length / 36) + 1).slice(0, length);
        checkCanonical(value, head, head.length + length);
      });
    }

    it('sizes multi-byte UTF-8 by bytes, not characters', () => {
      checkCanonical('é'.repeat(15), [0xbe]); // 30 bytes: fixstr
      checkCanonical('é'.repeat(16), [0xd9, 32]); // 32 bytes in 16 characters: str8
      checkCanonical('😀'.repeat(7) + 'abc', [0xbf]); // 31 bytes
      checkCanonical('😀'.repeat(8), [0xd9, 32]);
      checkCanonical('€'.repeat(85), [0xd9, 255]);
      checkCanonical('€'.repeat(86), [0xda, 0x01, 0x02]);
      checkCanonical('ü'.repeat(32768), [0xdb, 0x00, 0x01, 0x00, 0x00]);
      checkCanonical('a\u0000b\n"\\', [0xa6]);
    });

    it('decodes short strings that share a slot of the short-string cache as themselves', () => {
      // 50,000 distinct short keys and values overflow the cache's 4,096 slots many times over, so
      // many share a slot: each must still decode to its own text, as must the first ones after
      // they were pushed out, and a non-ASCII string of the same length next to an ASCII one.
      const texts: string[] = [];
      for (let i = 0; i < 50_000; i++) texts.push(`k${(i * 7919).toString(36)}`.slice(0, 1 + (i % 15)));
      texts.push('é'.repeat(7), 'e'.repeat(14), 'ü', 'u', '');
      const map = Object.fromEntries(texts.map((text, i) => [text, texts[texts.length - 1 - i]!]));
      assertSame(decode(encode(map)), map);
      assertSame(decode(encode(texts)), texts);
      assertSame(decode(encode(texts.slice(0, 100))), texts.slice(0, 100));
    });

    it('tells apart short strings whose bytes differ only in trailing NULs or in one high bit', () => {
      // The cache compares four bytes at a time, padded with zeros: "ab", "ab\0" and "ab\0\0" pad alike.
      const texts = ['ab', 'ab\u0000', 'ab\u0000\u0000', 'abcd', 'abcd\u0000', '', '\u0000'];
      for (let round = 0; round < 3; round++) assertSame(decode(encode(texts)), texts);
      for (let length = 1; length <= 15; length++) {
        const ascii = 'q'.repeat(length);
        for (let at = 0; at < length; at++) {
          // A byte with its high bit set at every position, in every word: never the ASCII string's twin.
          const bytes = Buffer.concat([Buffer.from([0xa0 | length]), Buffer.from(ascii)]);
          bytes[1 + at] = 0xf1;
          assert.equal(decode(encode(ascii)), ascii);
          assert.equal(decode(bytes), bytes.subarray(1).toString('utf8'));
        }
      }
    });

    it('decodes short strings that end the buffer, at any offset into any ArrayBuffer', () => {
      const backing = new ArrayBuffer(64);
      for (let length = 0; length <= 15; length++) {
        const text = 'abcdefghijklmnopqrstuvwxyz'.slice(0, length);
        const message = encode(['x', text]);
        for (let offset = 0; offset < 5; offset++) {
          // A plain Uint8Array ending exactly where the string does, starting at an odd place.
          const view = new Uint8Array(backing, 64 - message.length - offset, message.length);
          view.set(message);
          assert.deepEqual(new Decoder().decode(view), ['x', text], `length ${length}, offset ${offset}`);
        }
      }
    });

    it('decodes a reused buffer again after its bytes changed', () => {
      // The frame reader gathers messages that span reads in one buffer that it reuses.
      const decoder = new Decoder();
      const bytes = Buffer.from(encode({ key: 'first' }));
      assert.deepEqual(decoder.decode(bytes), { key: 'first' });
      bytes.set(encode({ key: 'other' }));
      assert.deepEqual(decoder.decode(bytes), { key: 'other' });
      bytes.set(encode({ yek: 1.5 }).subarray(0, bytes.length));
      assertCortexError(() => decoder.decode(bytes), 'EPROTO');
    });
  });

  describe('binary', () => {
    const rng = new Rng(7);
    const cases: [number, number[]][] = [
      [0, [0xc4, 0]],
      [1, [0xc4, 1]],
      [255, [0xc4, 255]],
      [256, [0xc5, 0x01, 0x00]],
      [65535, [0xc5, 0xff, 0xff]],
      [65536, [0xc6, 0x00, 0x01, 0x00, 0x00]],
    ];
    for (const [length, head] of cases) {
      it(`${length} bytes of binary`, () => {
        const value = rng.bytes(length);
        checkCanonical(value, head, head.length + length);
        const back = decode(encode(value));
        assert.ok(back instanceof Uint8Array);
      });
    }

    it('a decoded binary is a copy, not a view of the input buffer', () => {
      const bytes = encode(Uint8Array.from([1, 2, 3]));
      const back = decode(bytes) as Uint8Array;
      bytes.fill(0);
      assert.deepEqual([...back], [1, 2, 3]);
    });
  });

  describe('arrays and maps: every size class', () => {
    const arrayCases: [number, number[]][] = [
      [0, [0x90]],
      [15, [0x9f]],
      [16, [0xdc, 0x00, 0x10]],
      [65535, [0xdc, 0xff, 0xff]],
      [65536, [0xdd, 0x00, 0x01, 0x00, 0x00]],
    ];
    for (const [length, head] of arrayCases) {
      it(`an array of ${length}`, () => {
        const value = Array.from({ length }, (_, index) => index % 300);
        checkCanonical(value, head);
      });
    }

    const mapCases: [number, number[]][] = [
      [0, [0x80]],
      [15, [0x8f]],
      [16, [0xde, 0x00, 0x10]],
      [65535, [0xde, 0xff, 0xff]],
      [65536, [0xdf, 0x00, 0x01, 0x00, 0x00]],
    ];
    for (const [size, head] of mapCases) {
      it(`a map of ${size}`, () => {
        const value = Object.fromEntries(Array.from({ length: size }, (_, index) => [`k${index}`, index])) as MsgMap;
        checkCanonical(value, head);
      });
    }

    it('nil, booleans and nested mixtures', () => {
      checkCanonical(null, [0xc0], 1);
      checkCanonical(true, [0xc3], 1);
      checkCanonical(false, [0xc2], 1);
      checkCanonical({ a: [1, { b: null, c: [true, false, 'x'] }], d: {} }, [0x82]);
    });

    it('undefined becomes nil, and map entries holding undefined are left out', () => {
      assert.equal(hex(encode(undefined)), 'c0');
      assert.deepEqual(decode(encode({ a: undefined, b: 1 })), { b: 1 });
      assert.deepEqual(decode(encode([undefined, 1])), [null, 1]);
      // The header counts only what is written: 16 entries of 19 need map16, 15 fit a fixmap.
      const sixteen: Record<string, number | undefined> = { gone: undefined };
      for (let i = 0; i < 16; i++) sixteen[`k${i}`] = i;
      sixteen['also'] = undefined;
      sixteen['z'] = undefined;
      const bytes = encode(sixteen);
      assert.equal(hex(bytes.subarray(0, 3)), 'de0010');
      assert.deepEqual(decode(bytes), Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])));
      delete sixteen['k0'];
      assert.equal(encode(sixteen)[0], 0x8f);
      const inherited = Object.create({ fromPrototype: 1 }) as Record<string, number>;
      inherited['own'] = 2;
      assert.deepEqual(decode(encode(inherited)), { own: 2 }, 'only own keys are sent');
    });

    it('a JavaScript Map is encoded as a map', () => {
      const map = new Map<string, number>([
        ['x', 1],
        ['y', 2],
      ]);
      assert.deepEqual(decode(encode(map)), { x: 1, y: 2 });
    });

    it('integer map keys become string keys; other key types are refused', () => {
      assert.deepEqual(decode(Buffer.from([0x81, 0x01, 0xa1, 0x61])), { '1': 'a' });
      assert.deepEqual(decode(Buffer.from([0x81, 0xff, 0xa1, 0x61])), { '-1': 'a' });
      for (const key of [[0xc0], [0xc3], [0x90], [0x80], [0xc4, 0x00]]) {
        assertCortexError(() => decode(Buffer.from([0x81, ...key, 0x01])), 'EPROTO', /keys/);
      }
    });

    it('RawMsgpack bytes are copied through untouched', () => {
      const inner = encode({ a: 1, b: 'two' });
      assert.equal(hex(encode([1, new RawMsgpack(inner)])), hex(encode([1, { a: 1, b: 'two' }])));
    });
  });

  describe('timestamps (extension type -1)', () => {
    const dates = [
      0,
      1,
      999,
      1000,
      1500,
      -1,
      -1500,
      1_700_000_000_123,
      2 ** 32 * 1000, // needs more than 32 bits of seconds
      2 ** 34 * 1000 + 7, // needs the 96-bit form
      -62_135_596_800_000, // year 1
      8.64e15, // the largest Date
      -8.64e15,
    ];
    for (const ms of dates) {
      it(`new Date(${ms}) round-trips and crosses with @msgpack/msgpack both ways`, () => {
        const value = new Date(ms);
        const bytes = encode(value);
        assert.deepEqual([...bytes.subarray(0, 3)], [0xc7, 12, 0xff]);
        const back = decode(bytes);
        assert.ok(back instanceof Date);
        assert.equal(back.getTime(), ms);
        const theirs = referenceDecode(bytes);
        assert.ok(theirs instanceof Date);
        assert.equal(theirs.getTime(), ms);
        const fromReference = decode(referenceEncode(value));
        assert.ok(fromReference instanceof Date);
        assert.equal(fromReference.getTime(), ms);
      });
    }

    it('reads the 32-bit and 64-bit forms that other encoders write', () => {
      const ts32 = referenceEncode(new Date(1000));
      assert.equal(ts32[0], 0xd6);
      assert.equal((decode(ts32) as Date).getTime(), 1000);
      const ts64 = referenceEncode(new Date(1500));
      assert.equal(ts64[0], 0xd7);
      assert.equal((decode(ts64) as Date).getTime(), 1500);
      // 64-bit form by hand: 500,000,000 ns and 2^33 seconds.
      const nanos = 500_000_000;
      const high = ((nanos << 2) | 0b10) >>> 0;
      const bytes = Buffer.alloc(10);
      bytes[0] = 0xd7;
      bytes[1] = 0xff;
      bytes.writeUInt32BE(high, 2);
      bytes.writeUInt32BE(0, 6);
      assert.equal((decode(bytes) as Date).getTime(), 2 ** 33 * 1000 + 500);
    });

    it('refuses an invalid Date, other extension types and a timestamp of the wrong size', () => {
      assertCortexError(() => encode(new Date(NaN)), 'EINVAL');
      assertCortexError(() => decode(Buffer.from([0xd4, 0x05, 0x00])), 'EPROTO', /extension type 5/);
      assertCortexError(() => decode(Buffer.from([0xc7, 0x00, 0x07])), 'EPROTO', /extension type 7/);
      assertCortexError(() => decode(Buffer.from([0xd4, 0xff, 0x00])), 'EPROTO', /timestamp/);
      assertCortexError(() => decode(Buffer.from([0xd8, 0xff, ...new Array<number>(16).fill(0)])), 'EPROTO');
    });
  });

  describe('keys __proto__, constructor and prototype', () => {
    const key = (name: string) => [0xa0 | name.length, ...Buffer.from(name)];

    it('decodes __proto__ as an own data key without touching any prototype', () => {
      // {"__proto__": {"polluted": "yes"}}
      const bytes = Buffer.from([0x81, ...key('__proto__'), 0x81, ...key('polluted'), ...key('yes')]);
      const value = decode(bytes) as Record<string, MsgValue>;
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
      assert.ok(Object.hasOwn(value, '__proto__'));
      assert.deepEqual(Object.keys(value), ['__proto__']);
      assert.deepEqual({ ...(value['__proto__'] as object) }, { polluted: 'yes' });
      assert.equal((value as { polluted?: unknown }).polluted, undefined);
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      assert.ok(!Object.hasOwn(Object.prototype, 'polluted'));
      // And it goes back out byte for byte.
      assert.equal(hex(encode(value)), hex(bytes));
    });

    it('keeps constructor and prototype as plain data', () => {
      const source = JSON.parse(
        '{"constructor": {"prototype": {"polluted": 1}}, "prototype": 2, "__proto__": null, "x": {"__proto__": [1, 2]}}',
      ) as MsgMap;
      const bytes = encode(source);
      // Both encoders send own keys only, in the same order.
      assert.equal(hex(bytes), hex(referenceEncode(source)));
      const value = decode(bytes) as Record<string, MsgValue>;
      assert.deepEqual(Object.keys(value), ['constructor', 'prototype', '__proto__', 'x']);
      assert.equal(Object.getPrototypeOf(value), Object.prototype);
      assert.deepEqual(plain(value['constructor']), { prototype: { polluted: 1 } });
      assert.equal(value['prototype'], 2);
      assert.equal(value['__proto__'], null);
      const nested = value['x'] as Record<string, MsgValue>;
      assert.equal(Object.getPrototypeOf(nested), Object.prototype);
      assert.deepEqual(nested['__proto__'], [1, 2]);
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      assert.equal({}.constructor, Object);
      assertSame(value, source);
    });

    it('decodes what @msgpack/msgpack encodes from such keys, and a repeated __proto__ keeps the last value', () => {
      const source = Object.fromEntries([
        ['__proto__', { a: 1 }],
        ['constructor', 'c'],
      ]) as MsgMap;
      const value = decode(referenceEncode(source)) as Record<string, MsgValue>;
      assertSame(value, source);
      assert.ok(Object.hasOwn(value, '__proto__'));
      const twice = Buffer.from([0x82, ...key('__proto__'), 0x01, ...key('__proto__'), 0x02]);
      const last = decode(twice) as Record<string, MsgValue>;
      assert.deepEqual(Object.keys(last), ['__proto__']);
      assert.equal(last['__proto__'], 2);
      assert.equal(Object.getPrototypeOf(last), Object.prototype);
    });
  });

  describe('nesting depth', () => {
    it(`encodes and decodes ${MAX_DEPTH} nested levels, and refuses one more`, () => {
      const deepest = nestedArrays(MAX_DEPTH);
      const bytes = encode(deepest);
      assertSame(decode(bytes), deepest);
      assert.equal(hex(bytes), hex(referenceEncode(deepest, { maxDepth: 10_000 })));
      assertCortexError(() => encode(nestedArrays(MAX_DEPTH + 1)), 'EINVAL', /nests deeper/);
      const tooDeep = referenceEncode(nestedArrays(MAX_DEPTH + 1), { maxDepth: 10_000 });
      assertCortexError(() => decode(tooDeep), 'EPROTO', /nests deeper/);
    });

    it(`a decoder built with a lower limit (the daemon's, ${MAX_REQUEST_DEPTH}) enforces it`, () => {
      assert.ok(MAX_REQUEST_DEPTH < MAX_DEPTH);
      const decoder = new Decoder(MAX_REQUEST_DEPTH);
      assertSame(decoder.decode(encode(nestedArrays(MAX_REQUEST_DEPTH))), nestedArrays(MAX_REQUEST_DEPTH));
      assertCortexError(
        () => decoder.decode(encode(nestedArrays(MAX_REQUEST_DEPTH + 1))),
        'EPROTO',
        new RegExp(`nests deeper than ${MAX_REQUEST_DEPTH} levels`),
      );
    });

    it('counts maps as levels too', () => {
      let value: MsgValue = 1;
      for (let i = 0; i < MAX_DEPTH + 1; i++) value = { v: value };
      const bytes = referenceEncode(value, { maxDepth: 10_000 });
      assertCortexError(() => decode(bytes), 'EPROTO', /nests deeper/);
      assertCortexError(() => encode(value), 'EINVAL', /nests deeper/);
      const ok = decode(referenceEncode((value as Record<string, MsgValue>)['v'], { maxDepth: 10_000 }));
      assert.equal(typeof ok, 'object');
    });

    it('refuses 100,000 levels without overflowing the stack', () => {
      assertCortexError(() => decode(Buffer.alloc(100_000, 0x91)), 'EPROTO', /nests deeper/);
    });
  });

  describe('malformed input', () => {
    it('every truncation of a message is an EPROTO error, never a partial value', () => {
      const bytes = encode([
        0,
        12345,
        'put',
        { table: 't', record: { id: 'x', n: 2 ** 40, f: 1.5, b: Uint8Array.of(1, 2) } },
      ]);
      for (let cut = 0; cut < bytes.length; cut++) {
        assertCortexError(() => decode(bytes.subarray(0, cut)), 'EPROTO', /ends in the middle|claims more/);
      }
    });

    it('refuses trailing bytes and the reserved type byte 0xc1', () => {
      assertCortexError(() => decode(Buffer.from([0x01, 0x02])), 'EPROTO', /unexpected bytes/);
      assertCortexError(() => decode(Buffer.from([0xc1])), 'EPROTO', /0xc1/);
      assertCortexError(() => decode(Buffer.from([0x92, 0x01, 0xc1])), 'EPROTO', /0xc1/);
    });

    it('refuses lengths that claim more than the message holds, without allocating them', () => {
      assertCortexError(() => decode(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])), 'EPROTO');
      assertCortexError(() => decode(Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff, 0x01])), 'EPROTO');
      assertCortexError(() => decode(Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61])), 'EPROTO');
      assertCortexError(() => decode(Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xff, 0x61])), 'EPROTO');
      assertCortexError(() => decode(Buffer.from([0xc9, 0xff, 0xff, 0xff, 0xff, 0xff])), 'EPROTO');
    });

    it('a decoder that threw decodes the next message correctly', () => {
      const decoder = new Decoder();
      assert.throws(() => decoder.decode(Buffer.from([0x92, 0x01])));
      assert.deepEqual(decoder.decode(encode([1, 'two'])), [1, 'two']);
    });

    it('decodes a value in the middle of a larger buffer', () => {
      const bytes = Buffer.concat([Buffer.from([0xff, 0xff]), encode({ a: [1, 2] }), Buffer.from([0xc1])]);
      assert.deepEqual(new Decoder().decode(bytes, 2, bytes.length - 1), { a: [1, 2] });
    });
  });

  describe("a map's arrived bytes (rawBytesOf)", () => {
    const records = [{ id: 'a', n: 1 }, { id: 'b', n: 2, more: { deep: true } }, { id: 'c' }];

    it('gives each kept map its exact bytes, in any order of asking', () => {
      const decoder = new Decoder(MAX_REQUEST_DEPTH, new Set([2, 3]));
      const message = decoder.decode(encode([0, 1, 'put_many', { table: 't', records }])) as MsgValue[];
      const decoded = (message[3] as MsgMap)['records'] as MsgMap[];
      for (const index of [2, 0, 1, 1]) {
        assert.deepEqual(Buffer.from(rawBytesOf(decoded[index]!)!), encode(records[index]), `record ${index}`);
      }
      assert.equal(rawBytesOf(message[3] as MsgMap), undefined, 'a map at a depth not kept');
      assert.equal(rawBytesOf(decoded[1]!['more'] as MsgMap), undefined, 'a map inside a kept one');
    });

    it("forgets a message's maps once the next message is decoded, and never keeps a map with number keys", () => {
      const decoder = new Decoder(MAX_REQUEST_DEPTH, new Set([2]));
      const first = decoder.decode(encode([0, 1, 'put', { table: 't', record: records[0] }])) as MsgValue[];
      const firstRecord = (first[3] as MsgMap)['record'] as MsgMap;
      assert.ok(rawBytesOf(firstRecord) !== undefined);
      const numberKeys = Buffer.from([0x94, 0x00, 0x02, 0xa3, 0x70, 0x75, 0x74, 0x81, 0xa1, 0x72, 0x81, 0x07, 0x01]);
      const second = decoder.decode(numberKeys) as MsgValue[];
      assert.equal(
        rawBytesOf(firstRecord),
        undefined,
        'a map of an earlier message is encoded again, not read from old bytes',
      );
      assert.equal(
        rawBytesOf((second[3] as MsgMap)['r'] as MsgMap),
        undefined,
        'number keys decode as strings: not its bytes',
      );
    });
  });

  describe('a notification decoded without its array (decodeNotification)', () => {
    /** What decodeNotification gives for `bytes`: [method, params], or undefined. */
    function asNotification(decoder: Decoder, bytes: Uint8Array): [string, MsgValue] | undefined {
      const method = decoder.decodeNotification(bytes, 0, bytes.length);
      return method === undefined ? undefined : [method, decoder.takeNotificationParams()];
    }

    it('gives the method and params decode() gives, for random params (seeded)', () => {
      const rng = new Rng(17);
      const decoder = new Decoder();
      for (let i = 0; i < 300; i++) {
        const params = randomValue(rng);
        const method = ['event', 'table_change', 'métho', 'm'.repeat(31)][i % 4]!;
        const bytes = encode([2, method, params]);
        assertSame(asNotification(decoder, bytes), [method, (decode(bytes) as MsgValue[])[2]]);
      }
    });

    it('keeps __proto__ as data, a repeated key as its last value, and non-ASCII keys', () => {
      const str = (text: string) => Buffer.concat([Buffer.from([0xa0 | Buffer.byteLength(text)]), Buffer.from(text)]);
      const twice = Buffer.concat([
        Buffer.from([0x82]),
        str('__proto__'),
        Buffer.from([0x01]),
        str('__proto__'),
        Buffer.from([0x02]),
      ]);
      const params = [Buffer.from([0x84]), str('k1'), twice, str('kéy'), str('ü'), str('k2'), Buffer.from([0x01])];
      const bytes = Buffer.concat([Buffer.from([0x93, 0x02]), str('n'), ...params, str('k2'), Buffer.from([0x02])]);
      const [method, decoded] = asNotification(new Decoder(), bytes)!;
      assert.equal(method, 'n');
      const map = decoded as Record<string, MsgValue>;
      assert.deepEqual(Object.keys(map), ['k1', 'kéy', 'k2']);
      assert.equal(map['kéy'], 'ü');
      assert.equal(map['k2'], 2);
      const inner = map['k1'] as Record<string, MsgValue>;
      assert.equal(Object.getPrototypeOf(inner), Object.prototype);
      assert.deepEqual(Object.keys(inner), ['__proto__']);
      assert.equal(inner['__proto__'], 2);
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      assertSame(decoded, (decode(bytes) as MsgValue[])[2]);
    });

    it('refuses params nested past the limit as decode() does', () => {
      const limit = 16;
      const decoder = new Decoder(limit);
      // The notification's array is the first level, so its params may nest limit - 1 levels.
      assertSame(asNotification(decoder, encode([2, 'deep', nestedArrays(limit - 1)])), [
        'deep',
        nestedArrays(limit - 1),
      ]);
      const tooDeep = encode([2, 'deep', nestedArrays(limit)]);
      assertCortexError(() => asNotification(decoder, tooDeep), 'EPROTO', /nests deeper/);
      assertCortexError(() => decoder.decode(tooDeep), 'EPROTO', /nests deeper/);
    });

    it('refuses every truncation, trailing bytes and a bad type byte, and decodes the next message after', () => {
      const decoder = new Decoder();
      const bytes = encode([2, 'event', { session: 's', seq: 1, payload: { text: 'hello' } }]);
      for (let cut = 4; cut < bytes.length; cut++) {
        assertCortexError(() => asNotification(decoder, bytes.subarray(0, cut)), 'EPROTO');
      }
      assertCortexError(() => asNotification(decoder, Buffer.concat([bytes, Buffer.from([0x01])])), 'EPROTO');
      // 0xc1 where the value of the params' one key should start.
      const bad = Buffer.from([0x93, 0x02, 0xa1, 0x6e, 0x81, 0xa1, 0x6b, 0xc1]);
      assertCortexError(() => asNotification(decoder, bad), 'EPROTO', /0xc1/);
      assertSame(asNotification(decoder, bytes), ['event', { session: 's', seq: 1, payload: { text: 'hello' } }]);
    });

    it('reads nothing of other messages, which decode() then takes', () => {
      const decoder = new Decoder();
      for (const other of [
        [0, 1, 'get', {}],
        [1, 1, null, 'ok'],
        [2, 'one', {}, 'extra'],
        [2, 'x'.repeat(32), {}],
        [2, 7, {}],
        [3, 'n', {}],
        'not an array',
      ]) {
        const bytes = encode(other);
        assert.equal(decoder.decodeNotification(bytes, 0, bytes.length), undefined, JSON.stringify(other));
        assertSame(decoder.decode(bytes), other);
      }
    });
  });

  describe('a response decoded without its array (decodeResponse)', () => {
    /** What decodeResponse gives for `bytes`: [msgid, error, result], or undefined. */
    function asResponse(decoder: Decoder, bytes: Uint8Array): [number, MsgValue, MsgValue] | undefined {
      const id = decoder.decodeResponse(bytes, 0, bytes.length);
      return id < 0 ? undefined : [id, decoder.takeResponseError(), decoder.takeNotificationParams()];
    }

    it('gives the msgid, error and result decode() gives, for random results and msgids of every width (seeded)', () => {
      const rng = new Rng(23);
      const decoder = new Decoder();
      for (let i = 0; i < 300; i++) {
        const result = randomValue(rng);
        const id = [0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1][i % 8]!;
        const error = i % 5 === 0 ? { code: 'ENOTFOUND', message: 'No such key.' } : null;
        const bytes = encode([1, id, error, result]);
        assertSame(asResponse(decoder, bytes), (decode(bytes) as MsgValue[]).slice(1));
      }
    });

    it('refuses every truncation and trailing bytes, and decodes the next message after', () => {
      const decoder = new Decoder();
      const bytes = encode([1, 300, null, { record: { id: 'k', n: 1 } }]);
      for (let cut = 5; cut < bytes.length; cut++) {
        assertCortexError(() => asResponse(decoder, bytes.subarray(0, cut)), 'EPROTO');
      }
      assertCortexError(() => asResponse(decoder, Buffer.concat([bytes, Buffer.from([0x01])])), 'EPROTO');
      assertSame(asResponse(decoder, bytes), [300, null, { record: { id: 'k', n: 1 } }]);
    });

    it('reads nothing of other messages, which decode() then takes', () => {
      const decoder = new Decoder();
      for (const other of [
        [0, 1, 'get', {}],
        [2, 'event', {}],
        [1, -1, null, 'ok'],
        [1, 'one', null, 'ok'],
        [1, 1.5, null, 'ok'],
        [1, 1, null],
        [1, 1, null, 'ok', 'extra'],
        'not an array',
      ]) {
        const bytes = encode(other);
        assert.equal(decoder.decodeResponse(bytes, 0, bytes.length), -1, JSON.stringify(other));
        assertSame(decoder.decode(bytes), other);
      }
    });
  });

  describe('a request decoded without its array (decodeRequest)', () => {
    /** What decodeRequest gives for `bytes`: [msgid, method, params], or undefined. */
    function asRequest(decoder: Decoder, bytes: Uint8Array): [number, string, MsgValue] | undefined {
      const id = decoder.decodeRequest(bytes, 0, bytes.length);
      return id < 0 ? undefined : [id, decoder.method, decoder.takeNotificationParams()];
    }

    it('gives the msgid, method and params decode() gives, for random params and msgids of every width (seeded)', () => {
      const rng = new Rng(29);
      const decoder = new Decoder();
      for (let i = 0; i < 300; i++) {
        const params = randomValue(rng);
        const id = [0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1][i % 8]!;
        const method = ['put', 'get', 'métho', 'm'.repeat(31)][i % 4]!;
        const bytes = encode([0, id, method, params]);
        assertSame(asRequest(decoder, bytes), (decode(bytes) as MsgValue[]).slice(1));
      }
    });

    it("keeps a put's record's bytes as decode() does", () => {
      const decoder = new Decoder(MAX_REQUEST_DEPTH, new Set([2]));
      const record = { id: 'k1', text: 'é'.repeat(40), n: [1, 2, { deep: true }] };
      const [, , params] = asRequest(decoder, encode([0, 9, 'put', { table: 't', record }]))!;
      const decoded = (params as MsgMap)['record'] as MsgMap;
      assertSame(decoded, record);
      assert.deepEqual(Buffer.from(rawBytesOf(decoded)!), encode(record));
    });

    it('refuses every truncation, trailing bytes and params nested past the limit, and decodes the next message after', () => {
      const decoder = new Decoder(16);
      const bytes = encode([0, 300, 'put', { table: 't', record: { id: 'k', n: 1 } }]);
      // A request cut before its method is left to decode(), which refuses it.
      for (let cut = 1; cut < bytes.length; cut++) {
        const start = bytes.subarray(0, cut);
        assertCortexError(() => asRequest(decoder, start) ?? decoder.decode(start), 'EPROTO');
      }
      assertCortexError(() => asRequest(decoder, Buffer.concat([bytes, Buffer.from([0x01])])), 'EPROTO');
      // The request's array is the first level, so its params may nest 15 levels.
      assertSame(asRequest(decoder, encode([0, 1, 'deep', nestedArrays(15)])), [1, 'deep', nestedArrays(15)]);
      assertCortexError(() => asRequest(decoder, encode([0, 1, 'deep', nestedArrays(16)])), 'EPROTO', /nests deeper/);
      assertSame(asRequest(decoder, bytes), [300, 'put', { table: 't', record: { id: 'k', n: 1 } }]);
    });

    it('reads nothing of other messages, which decode() then takes', () => {
      const decoder = new Decoder();
      for (const other of [
        [1, 1, null, 'ok'],
        [2, 'event', {}],
        [0, -1, 'get', {}],
        [0, 1.5, 'get', {}],
        [0, 'one', 'get', {}],
        [0, 1, 7, {}],
        [0, 1, 'x'.repeat(32), {}],
        [0, 1, 'get'],
        [0, 1, 'get', {}, 'extra'],
        'not an array',
      ]) {
        const bytes = encode(other);
        assert.equal(decoder.decodeRequest(bytes, 0, bytes.length), -1, JSON.stringify(other));
        assertSame(decoder.decode(bytes), other);
      }
    });
  });

  describe("a put's record left as its bytes (decodeRequest's leaveEncoded, encodedFieldValues)", () => {
    const leavePut = () =>
      new Decoder(MAX_REQUEST_DEPTH, new Set([2, 3]), new Map([['put', { name: 'record', position: 1 }]]));

    /** The params decodeRequest gives for `request`. */
    function paramsOf(decoder: Decoder, request: MsgValue): MsgValue {
      const bytes = encode(request);
      assert.ok(decoder.decodeRequest(bytes, 0, bytes.length) >= 0);
      return decoder.takeNotificationParams();
    }

    it('leaves the record by name, by position and inside a wrapped map, and gives its fields and bytes', () => {
      const decoder = leavePut();
      const record = { v: 'é'.repeat(20), k: 'key-1', n: [1, { deep: new Date(1_700_000_000_123) }], i: 7 };
      const forms: [MsgValue, (params: MsgValue) => MsgValue][] = [
        [{ table: 't', record }, (params) => (params as MsgMap)['record']!],
        [['t', record], (params) => (params as MsgValue[])[1]!],
        [[{ table: 't', record }], (params) => ((params as MsgValue[])[0] as MsgMap)['record']!],
      ];
      for (const [params, recordOf] of forms) {
        const left = recordOf(paramsOf(decoder, [0, 1, 'put', params]));
        assert.ok(left instanceof EncodedMap, JSON.stringify(params));
        assert.equal(hex(left.bytes), hex(encode(record)));
        assert.deepEqual(encodedFieldValues(left, ['k', 'absent', 'i']), ['key-1', undefined, 7]);
      }
    });

    it('decodes what it cannot leave: a record that is not a map, a map with a number key, and other methods', () => {
      const decoder = leavePut();
      assert.equal((paramsOf(decoder, [0, 1, 'put', { table: 't', record: 'text' }]) as MsgMap)['record'], 'text');
      const numberKey = Buffer.from([
        0x94,
        0x00,
        0x01,
        0xa3,
        ...Buffer.from('put'),
        0x92,
        0xa1,
        0x74,
        0x81,
        0x07,
        0x01,
      ]);
      assert.ok(decoder.decodeRequest(numberKey, 0, numberKey.length) >= 0);
      assertSame(decoder.takeNotificationParams(), ['t', { '7': 1 }]);
      const other = paramsOf(decoder, [0, 1, 'match', { table: 't', record: { k: 1 } }]);
      assertSame(other, { table: 't', record: { k: 1 } });
    });

    it('reads no fields of a record its decoder has moved on from: it is decoded whole', () => {
      const decoder = leavePut();
      const left = (paramsOf(decoder, [0, 1, 'put', ['t', { k: 1, v: 2 }]]) as MsgValue[])[1] as EncodedMap;
      paramsOf(decoder, [0, 2, 'get', ['t', 1]]);
      assert.equal(encodedFieldValues(left, ['k']), undefined);
      assert.deepEqual(decodeEncodedMap(left), { k: 1, v: 2 });
      assert.throws(() => decodeEncodedMap(new EncodedMap(encode([1, 2]))), { code: 'EPROTO' });
    });

    it('gives a field sent twice its last value, as a decoded object does', () => {
      const decoder = leavePut();
      // {k: 1, k: 2, i: 3}: a map may repeat a key; the object decode() makes keeps the last.
      const record = Buffer.from([0x83, 0xa1, 0x6b, 0x01, 0xa1, 0x6b, 0x02, 0xa1, 0x69, 0x03]);
      const request = Buffer.concat([
        Buffer.from([0x94, 0x00, 0x01, 0xa3, ...Buffer.from('put'), 0x92, 0xa1, 0x74]),
        record,
      ]);
      assert.ok(decoder.decodeRequest(request, 0, request.length) >= 0);
      const left = (decoder.takeNotificationParams() as MsgValue[])[1] as EncodedMap;
      assert.deepEqual(encodedFieldValues(left, ['k', 'i']), [2, 3]);
      assert.deepEqual(decode(record), { k: 2, i: 3 });
    });

    it('refuses exactly what decode() refuses, with the same error, for random records cut or corrupted (seeded)', () => {
      const rng = new Rng(31);
      const decoder = leavePut();
      const outcome = (run: () => MsgValue): string => {
        try {
          return JSON.stringify(plain(run()), (_key, value: unknown) =>
            typeof value === 'bigint' ? `${value}n` : value instanceof EncodedMap ? hex(value.bytes) : value,
          );
        } catch (error) {
          assert.ok(error instanceof CortexError, String(error));
          return `${error.code}: ${error.message}`;
        }
      };
      const left = (bytes: Uint8Array): MsgValue =>
        decoder.decodeRequest(bytes, 0, bytes.length) < 0 ? decoder.decode(bytes) : decoder.takeNotificationParams();
      // What decode() gives, with the record as the bytes the store would write of it (rawBytesOf's).
      const whole = (bytes: Uint8Array): MsgValue => {
        const params = (new Decoder(MAX_REQUEST_DEPTH, new Set([2])).decode(bytes) as MsgValue[])[3] as MsgMap;
        const record = params['record'];
        const raw = typeof record === 'object' && record !== null ? rawBytesOf(record) : undefined;
        return raw === undefined ? params : { ...params, record: new EncodedMap(raw) };
      };
      for (let i = 0; i < 150; i++) {
        const record = randomMap(rng, { dates: true, bigints: true });
        const bytes = encode([0, i, 'put', { table: 't', record }]);
        const start = bytes.length - encode(record).length;
        for (let at = start; at < bytes.length; at++) {
          const cut = bytes.subarray(0, at);
          assert.equal(
            outcome(() => left(cut)),
            outcome(() => whole(cut)),
            `record ${i} cut at ${at}`,
          );
          const corrupt = Buffer.from(bytes);
          corrupt[at] = rng.pick([0xc1, 0xc7, 0xd4, 0xdc, 0xdf, 0x9f, 0x8f, 0xdb]);
          assert.equal(
            outcome(() => left(corrupt)),
            outcome(() => whole(corrupt)),
            `record ${i} corrupt at ${at}`,
          );
        }
      }
    });
  });

  describe('the encoder', () => {
    it('refuses functions and symbols with EINVAL and leaves nothing half-written', () => {
      const encoder = new Encoder(16);
      encoder.encode(1);
      assertCortexError(() => encoder.encode([1, 2, () => 3]), 'EINVAL', /function/);
      assertCortexError(() => encoder.encode({ a: Symbol('s') }), 'EINVAL', /symbol/);
      assert.equal(hex(encoder.take()), '01');
      assert.equal(encoder.length, 0);
    });

    it('grows from a tiny buffer and gathers several values into one take()', () => {
      const encoder = new Encoder(1);
      const values: MsgValue[] = ['x'.repeat(70_000), [1, 2, 3], { a: Uint8Array.of(9) }];
      for (const value of values) encoder.encode(value);
      assert.equal(hex(encoder.take()), hex(Buffer.concat(values.map((value) => encode(value)))));
    });

    it('detach() hands over the bytes themselves, which later writes never touch', () => {
      const encoder = new Encoder(16);
      encoder.encode({ batch: 'first', n: [1, 2, 3] });
      const first = encoder.detach();
      assert.equal(hex(first), hex(encode({ batch: 'first', n: [1, 2, 3] })));
      const copy = Buffer.from(first);
      encoder.encode('x'.repeat(300));
      encoder.encode(7);
      assert.equal(hex(encoder.detach()), hex(Buffer.concat([encode('x'.repeat(300)), encode(7)])));
      assert.equal(hex(first), hex(copy));
      assert.equal(encoder.detach().length, 0);
    });

    it('written() hands out the same view for messages of one length, and a new one once the buffer was kept', () => {
      const encoder = new Encoder(64);
      encoder.encode({ key: 'pf:0000000001' });
      const first = encoder.written();
      assert.equal(hex(first), hex(encode({ key: 'pf:0000000001' })));
      encoder.restart(false);
      encoder.encode({ key: 'pf:0000000002' });
      // A sequential caller's requests are mostly of one length: no typed array is made for each.
      assert.equal(encoder.written(), first);
      assert.equal(hex(first), hex(encode({ key: 'pf:0000000002' })));
      encoder.restart(false);
      encoder.encode('a longer one');
      assert.equal(hex(encoder.written()), hex(encode('a longer one')));
      // A stream that kept the view still reads it: the encoder starts a new buffer, and a new view with it.
      const kept = encoder.written();
      encoder.restart(true);
      encoder.encode('a longer two');
      const next = encoder.written();
      assert.notEqual(next, kept);
      assert.equal(hex(kept), hex(encode('a longer one')));
      assert.equal(hex(next), hex(encode('a longer two')));
    });

    it('writes strings of 32 to 85 units, the longest whose UTF-8 may fit a str8, in their smallest form', () => {
      checkCanonical('é'.repeat(15) + 'a'.repeat(20), [0xd9, 50]);
      checkCanonical('x'.repeat(85), [0xd9, 85]);
      checkCanonical('x'.repeat(86), [0xd9, 86]);
      checkCanonical('😀'.repeat(42) + 'a', [0xd9, 169]);
      checkCanonical('é'.repeat(10), [0xb4]); // 10 units, 20 bytes: back to a fixstr
      const encoder = new Encoder(1);
      encoder.encode(['ü'.repeat(40), 'ascii '.repeat(10)]);
      assert.deepEqual(decode(encoder.take()), ['ü'.repeat(40), 'ascii '.repeat(10)]);
    });
  });

  describe("a response of the protocol's OK", () => {
    it('is written as the bytes of any {ok: true}, and an error beside it is still written', () => {
      const written = (error: WireError | null, result: unknown): string => {
        const encoder = new Encoder(1);
        writeResponse(encoder, 70_000, error, result);
        return hex(encoder.take());
      };
      assert.equal(written(null, OK), hex(encode([1, 70_000, null, { ok: true }])));
      assert.equal(written(null, OK), written(null, { ok: true }));
      const error: WireError = { code: 'EINVAL', message: 'no' };
      assert.equal(written(error, OK), hex(encode([1, 70_000, error, null])));
    });
  });

  describe('random values against @msgpack/msgpack (seeded)', () => {
    // @msgpack/msgpack refuses to decode a '__proto__' key, so these values use only the other two.
    it('ours → theirs and theirs → ours agree on 500 random values', () => {
      const rng = new Rng(0x5eed);
      for (let i = 0; i < 500; i++) {
        const value = randomValue(rng, { dates: true, negativeZero: true, maxDepth: 5, protoKeys: false });
        const ours = encode(value);
        assertSame(decode(ours), value, `our round trip of value #${i}`);
        assertSame(referenceDecode(ours), value, `@msgpack/msgpack decoding our value #${i}`);
        assertSame(decode(referenceEncode(value)), normaliseNegativeZero(value), `decoding their value #${i}`);
      }
    });

    it('bigints agree too (with useBigInt64 on their side)', () => {
      const rng = new Rng(0xb16);
      for (let i = 0; i < 200; i++) {
        const value = randomValue(rng, { bigints: true, maxDepth: 3, protoKeys: false });
        const ours = encode(value);
        assertSame(widen(decode(ours)), widen(value), `our round trip of value #${i}`);
        assertSame(widen(referenceDecode(ours, { useBigInt64: true })), widen(value), `their decode of #${i}`);
        assertSame(widen(decode(referenceEncode(value, { useBigInt64: true }))), widen(value), `our decode of #${i}`);
      }
    });
  });

  it('decodes each read of one reused buffer by its own bytes, a longer read after a shorter one included', () => {
    // A socket with a ReadBuffer hands on a new view of the same memory per read; the decoder keeps its
    // views of that memory, so a value must never be read from a read before or past the current one.
    const memory = Buffer.alloc(256, 0xc1);
    const decoder = new Decoder();
    const values: MsgValue[] = ['short', { key: 'a longer value', n: 70000, f: 1.5, list: [1, -2, 'x'] }, 7, 'end'];
    for (const value of values) {
      const bytes = encode(value);
      memory.fill(0xc1);
      bytes.copy(memory);
      assert.deepEqual(decoder.decode(memory.subarray(0, bytes.length)), value);
    }
    const cut = encode({ key: 'cut off' });
    cut.copy(memory);
    assertCortexError(() => decoder.decode(memory.subarray(0, cut.length - 2)), 'EPROTO', /ends in the middle/);
  });
});

/** @msgpack/msgpack writes -0 as the integer 0; compare with that in mind. */
function normaliseNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(normaliseNegativeZero);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(record).map((key) => [key, normaliseNegativeZero(record[key])]));
}

/** Integers as bigints, so a 64-bit value compares equal whichever JavaScript type it decoded to. */
function widen(value: unknown): unknown {
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) return BigInt(value);
  if (Array.isArray(value)) return value.map(widen);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(record).map((key) => [key, widen(record[key])]));
}
