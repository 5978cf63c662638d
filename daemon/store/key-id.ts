import type { RecordKey } from '../../src/protocol/store-types.js';

/** A key as a set member: integers and strings apart, as the store keeps them. */
export function keyId(key: RecordKey): string {
  return typeof key === 'number' ? `n${key}` : `s${key}`;
}
