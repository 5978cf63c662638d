import { decodeFields } from '../../src/protocol/msgpack-decode.js';
import type { EncodedMap } from '../../src/protocol/msgpack-types.js';
import type { StoredRecord, TableInfo } from '../../src/protocol/store-types.js';
import type { Store } from '../store/store.js';

/** By table definition: the attributes Store.put reads of a record (its key, then its indexed attributes). */
const readFields = new WeakMap<TableInfo, readonly string[]>();

/**
 * A put's record that arrived encoded, as Store.put takes it: an object holding only the attributes the store
 * reads, whose bytes (rawBytesOf) are the whole record's, so the whole record is what is written. Only until
 * the store's put returns: the bytes are the connection's read buffer. Were Store.put to take the key, the
 * indexed values and the bytes, this adapter would go.
 */
export function storableRecord(store: Store, table: string, record: EncodedMap): StoredRecord {
  const { info } = store.catalog.handle(table);
  let fields = readFields.get(info);
  if (fields === undefined) {
    fields = [info.attributes[0]!, ...info.indexes];
    readFields.set(info, fields);
  }
  return decodeFields(record, fields) as StoredRecord;
}
