import { CortexError } from './errors.js';
import { type Grant, IDENTITY_NAME, type Permission } from './access-types.js';
import { type Project, PROVIDERS, type Session, SESSION_STATUSES, type Workspace } from './runtime-types.js';
import type { SessionEvent } from './session-events.js';
import type { TerminalInfo } from './terminal-types.js';
import {
  arrayOf,
  boolean,
  type Check,
  fail,
  type FieldsCheck,
  integer,
  literal,
  map,
  object,
  optional,
  string,
} from './validate.js';
import type {
  CheckResult,
  FsListResult,
  FsReadResult,
  FsStat,
  FsWriteResult,
  TurnDiff,
  WorkspaceDiff,
  WorktreeInfo,
} from './workspace-types.js';
import type { ClusterStatus, PeerStatus, QueryMeshResult } from './mesh-types.js';
import {
  ATTRIBUTE_NAME,
  isRecordKey,
  parseReplicationPolicy,
  type RecordKey,
  type ReplicationPolicy,
  type StoredRecord,
  TABLE_NAME,
  type TableInfo,
  type TableListing,
  NODE_NAME,
} from './store-types.js';

/**
 * Every RPC method, declared once: its name, a parser for its params (run at the
 * daemon's edge; its field order is the order of positional params) and its
 * result type. The daemon's handlers, the client and the CLI are all typed from
 * this table.
 */
export interface MethodSpec<P, R, A extends boolean = boolean> {
  params: FieldsCheck<P>;
  /** The answer is the whole point (a read, auth, subscribe): the method is refused as a notification. */
  needsAnswer: A;
  /** Phantom: carries the result type only. */
  result?: R;
}

/** A method that does something: it may also be sent as a notification, with no answer. */
function method<R>() {
  return <P>(params: FieldsCheck<P>): MethodSpec<P, R, false> => ({ params, needsAnswer: false });
}

/** A method that only makes sense with its answer. */
function query<R>() {
  return <P>(params: FieldsCheck<P>): MethodSpec<P, R, true> => ({ params, needsAnswer: true });
}

const tableName: Check<string> = string({
  pattern: TABLE_NAME,
  what: 'a table name (a letter, then letters, digits, _ . -)',
});
const anyTableName: Check<string> = string({ min: 1, max: 64, what: 'a table name' });
const attributeName: Check<string> = string({
  pattern: ATTRIBUTE_NAME,
  what: 'an attribute name (letters, digits, _)',
});

const replicate: Check<ReplicationPolicy> = (value, path) => {
  const policy = typeof value === 'string' ? parseReplicationPolicy(value) : undefined;
  if (policy === undefined) {
    throw new CortexError('EINVAL', `${path} must be local, mesh or peers:NODE,NODE.`);
  }
  return policy;
};

export const recordKey: Check<RecordKey> = (value, path) => {
  if (isRecordKey(value)) return value;
  throw new CortexError('EINVAL', `${path} must be a string or an integer, the table's key.`);
};

const record = map() as Check<StoredRecord>;

/** An opaque cursor from a previous `all`. */
const cursor = string({ max: 8192, what: 'a cursor returned by an earlier call' });

const identityName: Check<string> = string({
  pattern: IDENTITY_NAME,
  what: 'an identity (a user name, user:UID, a token name or a certificate CN)',
});
const permission: Check<Permission> = literal('read', 'write');

const nodeName: Check<string> = string({ pattern: NODE_NAME, what: 'a node name (letters, digits, _ . -)' });
const hostPort: Check<string> = string({ pattern: /^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, what: 'HOST:PORT' });

/** A record's version as a backup carries it: [hlc, node]. */
export type VersionTuple = [number, string];
const versionTuple: Check<VersionTuple> = (value, path) => {
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'number' &&
    Number.isSafeInteger(value[0]) &&
    value[0] >= 0 &&
    typeof value[1] === 'string' &&
    NODE_NAME.test(value[1])
  ) {
    return [value[0], value[1]];
  }
  throw new CortexError('EINVAL', `${path} must be a version [hlc, node].`);
};

export interface TokenInfo {
  name: string;
  creator: string;
  created: number;
  last_used: number | null;
}

const projectName: Check<string> = string({
  pattern: /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/,
  what: 'a project name (letters, digits, _ . @ -)',
});
const absolutePath: Check<string> = string({ pattern: /^\//, max: 4096, what: 'an absolute path' });
/** A workspace id (`ws_...`) or its absolute path on this node. */
const workspaceRef: Check<string> = string({ min: 1, max: 4096, what: 'a workspace id or absolute path' });
const sessionId: Check<string> = string({ pattern: /^s_[a-z0-9]{6,32}$/, what: 'a session id (s_...)' });
const prompt: Check<string> = string({ min: 1, max: 1_000_000, what: 'a non-empty prompt' });
/** A path inside a workspace, relative to its root; the daemon refuses any that leads outside. */
const workspacePath: Check<string> = string({ min: 1, max: 4096, what: 'a path relative to the workspace' });
const contentHash: Check<string> = string({ pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 hash in hex (from fs_read)' });
/** Text, or bytes for binary files and raw terminal input. */
const textOrBytes: Check<string | Uint8Array> = (value, path) =>
  typeof value === 'string' || value instanceof Uint8Array ? value : fail(path, 'a string or binary data', value);
const terminalId: Check<string> = string({ pattern: /^t_[a-z0-9]{6,32}$/, what: 'a terminal id (t_...)' });
const turnNumber: Check<number> = integer({ min: 1 });
const cols: Check<number> = integer({ min: 1, max: 1000 });
const rows: Check<number> = integer({ min: 1, max: 1000 });

export const MAX_PAGE = 10_000;
export const DEFAULT_PAGE = 1000;

export interface StatusResult {
  version: string;
  node: string;
  pid: number;
  uptime_ms: number;
  data_dir: string;
  socket: string;
  /** The TLS listener's HOST:PORT, or null when there is none. */
  listen: string | null;
  /** The mesh peer listener's HOST:PORT, or null when there is none. */
  mesh_listen: string | null;
  tables: number;
  connections: number;
  identity: string;
  /** For liveness badges: 1-minute load average, memory in use (0..1), free bytes on the data disk. */
  resources: { load1: number; memory_used: number; disk_free: number };
}

export const methods = {
  ping: query<{ pong: true }>()(object({})),
  status: query<StatusResult>()(object({})),
  create_table: method<{ ok: true; table: TableInfo }>()(
    object({
      name: tableName,
      attributes: arrayOf(attributeName, { min: 1, max: 256 }),
      indexes: optional(arrayOf(attributeName, { max: 64 })),
      replicate: optional(replicate),
    }),
  ),
  drop_table: method<{ ok: true }>()(object({ name: anyTableName })),
  tables: query<{ tables: TableListing[] }>()(object({})),
  put: method<{ ok: true }>()(object({ table: anyTableName, record })),
  put_many: method<{ ok: true; count: number }>()(
    object({
      table: anyTableName,
      records: arrayOf(record, { max: 100_000 }),
      /** Restores records with their versions (a backup): merged by last-writer-wins, not overwritten. */
      versions: optional(arrayOf(versionTuple, { max: 100_000 })),
    }),
  ),
  get: query<{ record: StoredRecord | null }>()(object({ table: anyTableName, key: recordKey })),
  delete: method<{ ok: true; deleted: boolean }>()(object({ table: anyTableName, key: recordKey })),
  match: query<{ records: StoredRecord[]; truncated: boolean }>()(
    object({
      table: anyTableName,
      pattern: map(),
      limit: optional(integer({ min: 1, max: MAX_PAGE })),
    }),
  ),
  all: query<{ records: StoredRecord[]; cursor: string | null; versions?: VersionTuple[] }>()(
    object({
      table: anyTableName,
      limit: optional(integer({ min: 1, max: MAX_PAGE })),
      cursor: optional(cursor),
      /** Also return each record's version, for backups that must not resurrect deleted records. */
      versions: optional(boolean()),
    }),
  ),
  acl_grant: method<{ grant: Grant }>()(
    object({ identity: identityName, table: tableName, permissions: arrayOf(permission, { min: 1, max: 2 }) }),
  ),
  acl_revoke: method<{ grant: Grant }>()(
    object({
      identity: identityName,
      table: tableName,
      permissions: optional(arrayOf(permission, { min: 1, max: 2 })),
    }),
  ),
  acl_list: query<{ grants: Grant[] }>()(object({ identity: optional(identityName) })),
  auth: query<{ identity: string }>()(object({ token: string({ min: 1, max: 512, what: 'a token' }) })),
  token_create: query<{ name: string; token: string }>()(object({ name: identityName })),
  token_list: query<{ tokens: TokenInfo[] }>()(object({})),
  token_revoke: method<{ ok: true }>()(object({ name: identityName })),
  /** For `session:ID`, `last_seq` is the last event sent before live ones follow. */
  subscribe: query<{ ok: true; topic: string; last_seq?: number }>()(
    object({
      topic: string({ min: 3, max: 256, what: 'a topic such as table:NAME' }),
      after: optional(integer({ min: 0 })),
    }),
  ),
  project_add: method<{ project: Project }>()(
    object({
      name: projectName,
      remote: optional(string({ max: 2048, what: 'a git remote URL' })),
      checks: optional(arrayOf(string({ min: 1, max: 4096, what: 'a check command' }), { max: 32 })),
    }),
  ),
  project_list: query<{ projects: Project[] }>()(object({})),
  project_remove: method<{ ok: true }>()(object({ name: projectName })),
  workspace_add: method<{ workspace: Workspace; created: boolean }>()(
    object({ path: absolutePath, project: optional(projectName) }),
  ),
  workspace_list: query<{ workspaces: Workspace[] }>()(object({})),
  workspace_remove: method<{ ok: true }>()(object({ workspace: workspaceRef })),
  session_start: method<{ session: Session }>()(
    object({
      workspace: workspaceRef,
      provider: optional(literal(...PROVIDERS)),
      prompt: optional(prompt),
      model: optional(string({ min: 1, max: 128, what: 'a model name' })),
      options: optional(map()),
      /** Run the session in its own git worktree, on a new branch. */
      worktree: optional(boolean()),
    }),
  ),
  session_send: method<{ ok: true; turn: number; queued: boolean }>()(object({ session: sessionId, prompt })),
  session_interrupt: method<{ ok: true; interrupted: boolean }>()(object({ session: sessionId })),
  session_stop: method<{ ok: true }>()(object({ session: sessionId })),
  session_list: query<{ sessions: Session[] }>()(
    object({ workspace: optional(workspaceRef), status: optional(literal(...SESSION_STATUSES)) }),
  ),
  session_get: query<{ session: Session }>()(object({ session: sessionId })),
  session_events: query<{ events: SessionEvent[]; next: number | null }>()(
    object({
      session: sessionId,
      after: optional(integer({ min: 0 })),
      limit: optional(integer({ min: 1, max: MAX_PAGE })),
    }),
  ),
  unsubscribe: method<{ ok: true; subscribed: boolean }>()(object({ topic: string({ min: 1, max: 256 }) })),

  // The workspace inspector: files, diffs, revert, worktrees, checks.
  fs_list: query<FsListResult>()(
    object({
      workspace: workspaceRef,
      path: optional(workspacePath),
      offset: optional(integer({ min: 0 })),
      limit: optional(integer({ min: 1, max: 100_000 })),
    }),
  ),
  fs_stat: query<{ stat: FsStat }>()(object({ workspace: workspaceRef, path: workspacePath })),
  fs_read: query<FsReadResult>()(object({ workspace: workspaceRef, path: workspacePath })),
  /** Without expected_hash the file must not exist yet; with it, the file must still have that hash. */
  fs_write: method<FsWriteResult>()(
    object({
      workspace: workspaceRef,
      path: workspacePath,
      content: textOrBytes,
      expected_hash: optional(contentHash),
    }),
  ),
  ws_diff: query<{ diff: WorkspaceDiff }>()(object({ workspace: workspaceRef })),
  session_turn_diff: query<{ diff: TurnDiff }>()(object({ session: sessionId, turn: turnNumber })),
  ws_revert: method<{ reverted: string[] }>()(
    object({ session: sessionId, turn: turnNumber, path: optional(workspacePath) }),
  ),
  worktree_list: query<{ worktrees: WorktreeInfo[] }>()(object({ workspace: optional(workspaceRef) })),
  worktree_remove: method<{ ok: true; branch: string | null }>()(
    object({ workspace: workspaceRef, force: optional(boolean()) }),
  ),
  check_run: method<{ results: CheckResult[] }>()(object({ workspace: workspaceRef, session: optional(sessionId) })),

  // Terminals: PTYs owned by the daemon.
  term_open: method<{ id: string; terminal: TerminalInfo }>()(
    object({
      workspace: workspaceRef,
      command: optional(arrayOf(string({ min: 1, max: 4096 }), { min: 1, max: 256 })),
      cols: optional(cols),
      rows: optional(rows),
    }),
  ),
  term_list: query<{ terminals: TerminalInfo[] }>()(object({ workspace: optional(workspaceRef) })),
  /** Answers with the scrollback (its last `scrollback` bytes when given), then streams term_output. */
  term_attach: query<{ terminal: TerminalInfo; scrollback: Uint8Array }>()(
    object({ id: terminalId, scrollback: optional(integer({ min: 0 })) }),
  ),
  term_write: method<{ ok: true }>()(object({ id: terminalId, data: textOrBytes })),
  term_resize: method<{ ok: true }>()(object({ id: terminalId, cols, rows })),
  term_detach: method<{ ok: true; attached: boolean }>()(object({ id: terminalId })),
  /** Ends the program (when it runs) and forgets the terminal with its scrollback. */
  term_close: method<{ ok: true }>()(object({ id: terminalId })),
  /** Starts an ended terminal's command again, in the same terminal, after its old scrollback. */
  term_restart: method<{ terminal: TerminalInfo }>()(
    object({ id: terminalId, cols: optional(cols), rows: optional(rows) }),
  ),
  cluster_connect: method<{ ok: true; peer: PeerStatus }>()(object({ node: hostPort })),
  cluster_disconnect: method<{ ok: true; disconnected: boolean }>()(object({ node: nodeName })),
  cluster_status: query<ClusterStatus>()(object({})),
  query_mesh: query<QueryMeshResult>()(
    object({
      table: anyTableName,
      pattern: map(),
      limit: optional(integer({ min: 1, max: MAX_PAGE })),
      /** How long each node may take to answer, in ms. */
      timeout_ms: optional(integer({ min: 10, max: 60_000 })),
    }),
  ),
} satisfies Record<string, MethodSpec<unknown, unknown>>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Methods[M] extends MethodSpec<infer P, unknown> ? P : never;
export type ResultOf<M extends MethodName> = Methods[M] extends MethodSpec<unknown, infer R> ? R : never;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}
