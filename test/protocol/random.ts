import type { MsgMap, MsgValue } from '../../src/protocol/msgpack-types.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** A small, seeded PRNG (mulberry32): the same seed gives the same sequence on every run. */
export class Rng {
  /** A float in [0, 1). */
  readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(probability = 0.5): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }

  string(maxLength: number): string {
    const alphabets = ['abcdefghij', 'ABC_xyz019', 'éüß€', '😀🎉', '\u0000\n\t"\\'];
    const alphabet = Array.from(this.pick(alphabets));
    let out = '';
    const length = this.int(0, maxLength);
    for (let i = 0; i < length; i++) out += this.pick(alphabet);
    return out;
  }
}

export interface ValueOptions {
  /** Include bigints (which decode back as numbers when they fit in 53 bits). */
  bigints?: boolean;
  /** With bigints, include unsigned 64-bit values past the int64 range (default true). */
  uint64?: boolean;
  /** Include Dates (timestamp extension). */
  dates?: boolean;
  /** Include -0 (which some encoders turn into 0). */
  negativeZero?: boolean;
  maxDepth?: number;
  /** Use '__proto__' as a map key now and then (default true; @msgpack/msgpack refuses to decode it). */
  protoKeys?: boolean;
}

/** Map keys that a careless decoder would turn into prototype changes. */
export const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

const INTEGER_EDGES = [
  0,
  1,
  15,
  16,
  31,
  32,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  -1,
  -31,
  -32,
  -33,
  -128,
  -129,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
  Number.MIN_SAFE_INTEGER,
];

/** A random value that plain MessagePack can carry. */
export function randomValue(rng: Rng, options: ValueOptions = {}, depth = 0): MsgValue {
  const maxDepth = options.maxDepth ?? 4;
  const kinds = depth >= maxDepth ? 9 : 11;
  switch (rng.int(0, kinds)) {
    case 0:
      return null;
    case 1:
      return rng.bool();
    case 2:
      return rng.pick(INTEGER_EDGES);
    case 3:
      return rng.int(-1_000_000, 1_000_000);
    case 4: {
      const floats = [0.5, -1.25, Math.PI, 1e300, -1e-300, Number.MAX_VALUE, NaN, Infinity, -Infinity, 2 ** 53];
      if (options.negativeZero) floats.push(-0);
      return rng.pick(floats);
    }
    case 5:
      return rng.string(40);
    case 6:
      return rng.bytes(rng.int(0, 40));
    case 7:
      if (options.bigints) {
        const bigints = [2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 60n)];
        if (options.uint64 !== false) bigints.push(2n ** 63n, 2n ** 64n - 1n);
        return rng.pick(bigints);
      }
      return rng.string(300);
    case 8:
      if (options.dates)
        return new Date(rng.pick([0, 1, -1, 1_700_000_000_123, 2 ** 34 * 1000 + 7, -62_135_596_800_000]));
      return rng.pick(DANGEROUS_KEYS);
    case 9:
      return rng.string(3);
    case 10: {
      const out: MsgValue[] = [];
      const length = rng.int(0, 6);
      for (let i = 0; i < length; i++) out.push(randomValue(rng, options, depth + 1));
      return out;
    }
    default:
      return randomMap(rng, options, depth + 1);
  }
}

/** A random map; its keys are own data properties, including the dangerous ones. */
export function randomMap(rng: Rng, options: ValueOptions = {}, depth = 0): MsgMap {
  const entries: [string, MsgValue][] = [];
  const size = rng.int(0, 6);
  for (let i = 0; i < size; i++) {
    const dangerous = options.protoKeys === false ? DANGEROUS_KEYS.slice(1) : DANGEROUS_KEYS;
    const key = rng.bool(0.2) ? rng.pick(dangerous) : rng.string(8);
    entries.push([key, randomValue(rng, options, depth)]);
  }
  // Object.fromEntries defines own properties, so '__proto__' stays a key.
  return Object.fromEntries(entries);
}

/** `levels` arrays nested inside each other around `leaf`. */
export function nestedArrays(levels: number, leaf: MsgValue = 0): MsgValue {
  let value: MsgValue = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** Raw MessagePack for `levels` nested one-element arrays around a positive fixint. */
export function nestedArrayBytes(levels: number, leaf: number[] = [0x00]): Buffer {
  return Buffer.from([...new Array<number>(levels).fill(0x91), ...leaf]);
}
