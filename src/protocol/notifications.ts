import type { WireError } from './errors.js';
import type { Session } from './runtime-types.js';
import type { SessionEvent } from './session-events.js';
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
  /** An event of a session, to subscribers of `session:ID`. */
  event: SessionEvent;
  /** A session's new state, to subscribers of `sessions:*`. */
  session_update: { session: Session };
  /** A message that could not be answered by msgid (no msgid could be read). */
  protocol_error: WireError;
  /** Sent just before the daemon closes a connection, saying why. */
  error: WireError;
}

export type NotificationName = keyof Notifications;
