import type { WireError } from './errors.js';
import type { MeshEvent } from './mesh-types.js';
import type { RawMsgpack } from './msgpack-types.js';
import type { Session } from './runtime-types.js';
import type { SessionEvent } from './session-events.js';
import type { RecordKey, StoredRecord } from './store-types.js';
import type { TermDropped, TermExit, TermOutput } from './terminal-types.js';
import type { CheckResult, FsChange } from './workspace-types.js';

/** A committed change to a table, sent to subscribers of `table:NAME`. */
export interface TableChange<Rec = StoredRecord> {
  table: string;
  key: RecordKey;
  op: 'put' | 'delete';
  /** The record as written; null for a delete. */
  record: Rec | null;
  hlc: number;
  node: string;
  /** Its position in this node's change log: `subscribe {topic, after: seq}` resumes right after it. */
  seq: number;
}

/** A subscription that ended because its subscriber left too much output unread. */
export interface Lagged {
  topic: string;
  /**
   * Where to resume: `subscribe {topic, after: cursor}` sends everything after the
   * last notification this one follows, exactly once. The change-log seq for
   * `table:`, the event seq for `session:`; null for streams that have no history
   * (subscribe again and reload what you show).
   */
  cursor: number | null;
  reason: string;
}

/** A method sent as a notification (no msgid) failed; to subscribers of `notify:errors`. */
export interface NotifyFailed {
  method: string;
  error: WireError;
}

/** The topic families, by the prefix their topics start with. */
export type TopicPrefix = 'table:' | 'session:' | 'sessions:' | 'fs:' | 'workspace:' | 'term:' | 'mesh:' | 'notify:';

/** What a notification carries and which topic families send it (none: notices about the connection itself). */
interface NotificationSpec<P, T extends TopicPrefix> {
  topics: readonly T[];
  /** Phantom: carries the params type only. */
  params?: P;
}

function notification<P>() {
  return <const T extends TopicPrefix = never>(...topics: T[]): NotificationSpec<P, T> => ({ topics });
}

/**
 * Every notification (`[2, method, params]`), declared once: its name, its params
 * and the topics that emit it. The daemon's publishing and the client's
 * `onNotification` are both typed from this table.
 */
export const notifications = {
  table_change: notification<TableChange>()('table:'),
  /** An event of a session. */
  event: notification<SessionEvent>()('session:'),
  /** A session's new state, to subscribers of `sessions:*`. */
  session_update: notification<{ session: Session }>()('sessions:'),
  /** Files that changed in the watched directories of a workspace (debounced). */
  fs_change: notification<{ workspace: string; changes: FsChange[] }>()('fs:'),
  /** A check run outside any session. */
  check_result: notification<CheckResult & { workspace: string }>()('workspace:'),
  /** Output of a terminal, to the clients attached to it (term_attach). */
  term_output: notification<TermOutput>()('term:'),
  /** A terminal's program ended: to its viewers and to its workspace's subscribers. */
  term_exit: notification<TermExit>()('term:', 'workspace:'),
  /** This client fell too far behind a terminal's output and no longer receives it; term_attach resumes. */
  term_dropped: notification<TermDropped>()('term:'),
  /** Peers coming and going, merged conflicts, refused clocks: the `mesh:events` topic. */
  mesh_event: notification<MeshEvent>()('mesh:'),
  /** A method sent as a notification failed. */
  notify_failed: notification<NotifyFailed>()('notify:'),
  /** A subscription ended: the subscriber left more unread than its limits allow. */
  lagged: notification<Lagged>()(),
  /** A message that could not be answered by msgid (no msgid could be read, or it was a notification). */
  protocol_error: notification<WireError>()(),
  /** Sent just before the daemon closes a connection, saying why. */
  error: notification<WireError>()(),
};

type Specs = typeof notifications;
export type NotificationName = keyof Specs;

/** The params of each notification, by name. */
export type Notifications = {
  [N in NotificationName]: Specs[N] extends NotificationSpec<infer P, TopicPrefix> ? P : never;
};

/** The topics a notification may be published on: `table:${string}` for table_change. */
export type TopicOf<N extends NotificationName> = `${Specs[N]['topics'][number]}${string}`;

/** A notification as the daemon sends it: a table change carries the stored record's bytes, not a decoded map. */
export type Outgoing<N extends NotificationName> = N extends 'table_change'
  ? TableChange<RawMsgpack>
  : Notifications[N];
