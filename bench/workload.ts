import { encode } from '../src/protocol/msgpack-encode.js';
import type { StoredRecord } from '../src/protocol/store-types.js';
import { seededRandom } from '../test/helpers/seeded-random.js';

/** The table every Cortex workload uses; its key attribute is `id`. */
export const TABLE = 'bench';
export const ATTRIBUTES = ['id', 'name', 'n'];

/** Chosen so that an encoded record is exactly RECORD_BYTES long (see `record`). */
export const RECORD_BYTES = 100;
const NAME_LENGTH = 68;
const FILLER = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);

/** Keys of one workload share a prefix, so puts of different workloads never overwrite each other. */
export function key(prefix: string, index: number): string {
  return `${prefix}:${index.toString().padStart(10, '0')}`;
}

/**
 * A fixed-shape record of ~100 bytes: with a 2-letter prefix the key is 13
 * characters and the name 68, which with the map, field names and a 32-bit `n`
 * adds up to 100 bytes of MessagePack.
 */
export function record(id: string, index: number): StoredRecord {
  const head = `record ${index} `;
  return { id, name: head + FILLER.slice(0, NAME_LENGTH - head.length), n: index + 0x10000 };
}

/** The bytes the in-process anchor stores: one encoded record, the same size Cortex stores per key. */
export function recordBytes(): Buffer {
  return encode(record(key('xx', 0), 0));
}

/** `count` indexes into a keyspace of `keys` prefilled keys, in a fixed pseudo-random order. */
export function readOrder(count: number, keys: number, seed = 42): Uint32Array {
  const next = seededRandom(seed);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = Math.floor(next() * keys);
  return order;
}
