import type { MsgValue } from './protocol/msgpack-types.js';

/**
 * How MessagePack values that JSON lacks are written as JSON, for the CLI and
 * for export files: binary as `{"$bin": "<base64>"}`, timestamps as
 * `{"$date": "<ISO 8601>"}`, integers beyond 2^53 as bare JSON numbers.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, item: unknown) {
    // The holder's own value, before toJSON turned a Buffer or a Date into something else.
    const original = this[key];
    if (typeof original === 'bigint') return { $bigint: original.toString() };
    if (original instanceof Uint8Array) {
      return { $bin: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
    }
    if (original instanceof Date) return { $date: original.toISOString() };
    return item;
  }).replace(/\{"\$bigint":"(-?\d+)"\}/g, '$1');
}

/** Parses JSON text, turning `{"$bin": ...}` and `{"$date": ...}` back into binary and timestamps. */
export function fromJson(text: string): MsgValue {
  return JSON.parse(text, (_key, item: unknown) => {
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      const keys = Object.keys(item);
      if (keys.length === 1) {
        const tagged = item as Record<string, unknown>;
        if (typeof tagged['$bin'] === 'string') return Buffer.from(tagged['$bin'], 'base64');
        if (typeof tagged['$date'] === 'string') return new Date(tagged['$date']);
      }
    }
    return item;
  }) as MsgValue;
}
