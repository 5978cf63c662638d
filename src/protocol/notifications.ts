import type { WireError } from './errors.js';
import type { MeshEvent } from './mesh-types.js';
import type { RecordKey, StoredRecord } from './store-types.js';

/** A committed change to a table, sent to subscribers of `table:NAME`. */
export interface TableChange {
  table: string;
  key: RecordKey;
  op: 'put' | 'delete';
  /** The record as written; null for a delete. */
  record: StoredRecord | null;
  hlc: number;
  node: string;
}

/** Every notification the daemon sends (`[2, method, params]`), by method. */
export interface Notifications {
  table_change: TableChange;
  /** Peers coming and going, merged conflicts, refused clocks: the `mesh:events` topic. */
  mesh_event: MeshEvent;
  /** A message that could not be answered by msgid (no msgid could be read). */
  protocol_error: WireError;
  /** Sent just before the daemon closes a connection, saying why. */
  error: WireError;
}

export type NotificationName = keyof Notifications;
