import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { isPlainMap } from '../../src/protocol/validate.js';

/** Deep equality of two decoded MessagePack values; map key order does not matter. */
export function valuesEqual(a: MsgValue | undefined, b: MsgValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return (a ?? null) === (b ?? null);
  if (typeof a !== 'object' || typeof b !== 'object') {
    // A bigint and a number holding the same integer are the same value.
    return (typeof a === 'bigint' || typeof b === 'bigint') && typeof a !== 'string' && a == b;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => valuesEqual(item, b[index]));
  }
  if (!isPlainMap(a) || !isPlainMap(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && valuesEqual(a[key], b[key]));
}

/**
 * Orders two values of the same kind, numbers with numbers and strings with
 * strings (by code point, the order SQLite's indexes use). Returns undefined
 * when they are not comparable, so a range never matches across types.
 */
export function compareValues(a: MsgValue | undefined, b: MsgValue): number | undefined {
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';
  if (numeric(a) && numeric(b)) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return undefined;
}

export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/** The smallest string greater than every string that starts with `prefix`, or undefined if none. */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (char) => char.codePointAt(0)!);
  while (points.length > 0) {
    let last = points.pop()!;
    if (last === 0x10ffff) continue;
    last = last === 0xd7ff ? 0xe000 : last + 1;
    points.push(last);
    return String.fromCodePoint(...points);
  }
  return undefined;
}
