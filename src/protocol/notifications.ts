import type { WireError } from './errors.js';
import type { Project, Session, Workspace } from './runtime-types.js';
import type { SessionEvent } from './session-events.js';
import type { MeshEvent } from './mesh-types.js';
import type { RecordKey, StoredRecord } from './store-types.js';
import type { TermDropped, TermExit, TerminalInfo, TermOutput } from './terminal-types.js';
import type { CheckResult, FsChange } from './workspace-types.js';

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
  /** A project added, changed or (`removed`) removed, to subscribers of `workspaces:*`. */
  project_update: { project: Project; removed: boolean };
  /** A workspace added or removed, to subscribers of `workspaces:*` who may use it. */
  workspace_update: { workspace: Workspace; removed: boolean };
  /** A terminal opened, ended, started again or (`removed`) closed, to subscribers of `terminals:*` who may use it. */
  terminal_update: { terminal: TerminalInfo; removed: boolean };
  /** Files that changed in the watched directories of a workspace, to subscribers of `fs:WORKSPACE` (debounced). */
  fs_change: { workspace: string; changes: FsChange[] };
  /** A check run outside any session, to subscribers of `workspace:WORKSPACE`. */
  check_result: CheckResult & { workspace: string };
  /** Output of a terminal, to the clients attached to it (term_attach). */
  term_output: TermOutput;
  /** A terminal's program ended: to its viewers and to subscribers of `workspace:WORKSPACE`. */
  term_exit: TermExit;
  /** This client fell too far behind a terminal's output and no longer receives it; term_attach resumes. */
  term_dropped: TermDropped;
  /** Peers coming and going, merged conflicts, refused clocks: the `mesh:events` topic. */
  mesh_event: MeshEvent;
  /** A message that could not be answered by msgid (no msgid could be read). */
  protocol_error: WireError;
  /** Sent just before the daemon closes a connection, saying why. */
  error: WireError;
}

export type NotificationName = keyof Notifications;
