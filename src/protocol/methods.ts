import { CortexError } from './errors.js';
import { type Grant, IDENTITY_NAME, type IdentityMapping, type Permission } from './access-types.js';
import { isIdentityText } from './identity-names.js';
import {
  type ApprovalDecision,
  APPROVAL_POLICIES,
  type Project,
  PROVIDERS,
  SANDBOX_MODES,
  type Session,
  SESSION_STATUSES,
  type Workspace,
} from './runtime-types.js';
import type { SessionEvent } from './session-events.js';
import type { TerminalInfo } from './terminal-types.js';
import {
  arrayOf,
  boolean,
  bytes,
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
import type { CertificateStatus, ClusterStatus, PeerStatus, QueryMeshResult } from './mesh-types.js';
import { EncodedMap } from './msgpack-types.js';
import type { AcrossNodes, ListingParams, NodeInfo, NodeMethodPrefix, NodeParams, Placement } from './tree-types.js';
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

/**
 * A put's record: a map, or, at the daemon, the map its decoder left as bytes (the store needs only the
 * record's key, indexed attributes and bytes); a client may send an EncodedMap it holds as well.
 */
const putRecord: Check<StoredRecord | EncodedMap> = (value, path) =>
  value instanceof EncodedMap ? value : record(value, path);

/** An opaque cursor from a previous `all`. */
const cursor = string({ max: 8192, what: 'a cursor returned by an earlier call' });

/** An identity, full (`KIND:NAME@NODE`) or short for the local node (`alice`, `root@a`, `token:ci`). */
const identity: Check<string> = (value, path) =>
  typeof value === 'string' && isIdentityText(value)
    ? value
    : fail(path, 'an identity such as alice, root@a, token:ci or cert:alice@a', value);
const tokenName: Check<string> = string({
  pattern: IDENTITY_NAME,
  what: 'a token name (letters, digits, _ . @ : -)',
});
const localUser: Check<string> = string({
  pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}[$]?$/,
  what: "the name of one of this node's local users",
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

/** An import in progress, from import_begin. */
const importId = string({ pattern: /^i_\d{1,15}$/, what: 'an import id from import_begin' });

export interface ImportCommitResult {
  ok: true;
  /** Tables the import created (existing ones are kept as they are). */
  created: string[];
  /** Records written. */
  written: number;
  /** Records whose version was not newer than the table's (changed or deleted since the backup). */
  skipped: number;
}

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
/** A URL or path git can clone; never one that git would read as an option. */
const gitRemote: Check<string> = string({ pattern: /^[^-\s][^\s]*$/, max: 2048, what: 'a git remote URL' });
const absolutePath: Check<string> = string({ pattern: /^\//, max: 4096, what: 'an absolute path' });
/** A workspace id (`ws_...`) or its absolute path on this node. */
const workspaceRef: Check<string> = string({ min: 1, max: 4096, what: 'a workspace id or absolute path' });
const sessionId: Check<string> = string({ pattern: /^s_[a-z0-9]{6,32}$/, what: 'a session id (s_...)' });
const prompt: Check<string> = string({ min: 1, max: 1_000_000, what: 'a non-empty prompt' });
const approvalRequest: Check<string> = string({
  pattern: /^ap_[a-z0-9]{4,32}$/,
  what: 'an approval request id (ap_...)',
});
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
  /** The largest message the daemon takes (config `max_message_bytes`): clients size their batches by it. */
  max_message_bytes: number;
  /** For liveness badges: 1-minute load average, memory in use (0..1), free bytes on the data disk. */
  resources: { load1: number; memory_used: number; disk_free: number };
  /** This node's certificate (its end, and a warning within 30 days of it); null when it has none. */
  certificate?: CertificateStatus | null;
}

export const methods = {
  ping: query<{ pong: true }>()(object({})),
  status: query<StatusResult>()(object({})),
  /** Stops the daemon as SIGTERM does (administrators); clients then start none on demand until one is started by hand. */
  shutdown: method<{ ok: true; pid: number }>()(object({})),
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
  put: method<{ ok: true }>()(object({ table: anyTableName, record: putRecord })),
  put_many: method<{ ok: true; count: number }>()(
    object({
      table: anyTableName,
      records: arrayOf(record, { max: 100_000 }),
      /** Restores records with their versions (a backup): merged by last-writer-wins, not overwritten. */
      versions: optional(arrayOf(versionTuple, { max: 100_000 })),
    }),
  ),
  /**
   * An all-or-nothing restore: import_begin, then import_table and import_records in
   * the backup's order (each checked as it comes: a bad record's index is in the
   * error's data), then import_commit applies everything in one transaction.
   * import_abort, or the connection closing, drops it. All but import_abort need their
   * answer: a batch sent as a notification could fail unseen and the commit go on without it.
   */
  import_begin: query<{ import: string }>()(object({})),
  import_table: query<{ ok: true }>()(
    object({
      import: importId,
      name: tableName,
      attributes: arrayOf(attributeName, { min: 1, max: 256 }),
      indexes: optional(arrayOf(attributeName, { max: 64 })),
      replicate: optional(replicate),
    }),
  ),
  import_records: query<{ ok: true; count: number }>()(
    object({
      import: importId,
      table: anyTableName,
      records: arrayOf(record, { max: 100_000 }),
      versions: optional(arrayOf(versionTuple, { max: 100_000 })),
    }),
  ),
  import_commit: query<ImportCommitResult>()(object({ import: importId })),
  import_abort: method<{ ok: true }>()(object({ import: importId })),
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
      /** From the last key backwards; the cursor then names the smallest key returned (the TUI's last page). */
      reverse: optional(boolean()),
    }),
  ),
  /** How many records a table holds; it scans the table, so it is for a display (the TUI's Data tab). */
  count: query<{ count: number }>()(object({ table: anyTableName })),
  acl_grant: method<{ grant: Grant }>()(
    object({ identity, table: tableName, permissions: arrayOf(permission, { min: 1, max: 2 }) }),
  ),
  acl_revoke: method<{ grant: Grant }>()(
    object({
      identity,
      table: tableName,
      permissions: optional(arrayOf(permission, { min: 1, max: 2 })),
    }),
  ),
  acl_list: query<{ grants: Grant[]; mappings: IdentityMapping[] }>()(object({ identity: optional(identity) })),
  /** Lets a remote identity (or a token or certificate) act as one of this node's local users; administrators only. */
  acl_map: method<{ mapping: IdentityMapping }>()(object({ identity, user: localUser })),
  acl_unmap: method<{ ok: true; removed: IdentityMapping }>()(object({ identity })),
  auth: query<{ identity: string }>()(object({ token: string({ min: 1, max: 512, what: 'a token' }) })),
  token_create: query<{ name: string; token: string }>()(object({ name: tokenName })),
  token_list: query<{ tokens: TokenInfo[] }>()(object({})),
  token_revoke: method<{ ok: true }>()(object({ name: tokenName })),
  /**
   * For `session:ID`, `last_seq` is the last event sent before live ones follow. With
   * `node`, the topic is another node's (a session's events, a terminal, a workspace's
   * files); a session or terminal id names its node by itself.
   */
  subscribe: query<{ ok: true; topic: string; last_seq?: number }>()(
    object({
      topic: string({ min: 3, max: 256, what: 'a topic such as table:NAME' }),
      after: optional(integer({ min: 0 })),
      node: optional(nodeName),
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
  /** Clones a git remote into the daemon's workspace root (`workspace_root`) and registers it. */
  workspace_clone: method<{ workspace: Workspace; cloned: boolean }>()(
    object({ remote: gitRemote, project: optional(projectName) }),
  ),
  /** `placed`: the node `node: "auto"` chose, and why. */
  session_start: method<{ session: Session; placed?: Placement & { node: string } }>()(
    object({
      workspace: workspaceRef,
      provider: optional(literal(...PROVIDERS)),
      prompt: optional(prompt),
      model: optional(string({ min: 1, max: 128, what: 'a model name' })),
      options: optional(object({ sandbox: optional(literal(...SANDBOX_MODES)) })),
      /** Run the session in its own git worktree, on a new branch. */
      worktree: optional(boolean()),
      /** With `node: "auto"`: clone the project's git remote on the chosen node when it has no workspace of it. */
      clone: optional(boolean()),
      /** Set by the node that chose this one (`node: "auto"`): recorded as the session's `placed` event. */
      placement: optional(object({ by: nodeName, reason: string({ min: 1, max: 4000, what: 'a reason' }) })),
      /** Default: the daemon's approval_policy, else never. Last, so positional params of before keep their places. */
      approval: optional(literal(...APPROVAL_POLICIES)),
    }),
  ),
  /**
   * Runs the prompt as a turn, or queues it behind the running one; with `steer`, adds it to the running
   * turn instead (when the running turn cannot take it any more, it is queued: `queued` says so).
   */
  session_send: method<{ ok: true; turn: number; queued: boolean; steered: boolean }>()(
    object({ session: sessionId, prompt, steer: optional(boolean()) }),
  ),
  /** Answers a pending approval request (the oldest when `request` is left out and it is the only one). */
  session_approve: method<{ ok: true; request: string; decision: ApprovalDecision }>()(
    object({ session: sessionId, request: optional(approvalRequest), always: optional(boolean()) }),
  ),
  session_deny: method<{ ok: true; request: string; decision: ApprovalDecision }>()(
    object({ session: sessionId, request: optional(approvalRequest) }),
  ),
  /** Starts a stopped session again on its conversation; with a prompt, that runs as its next turn. */
  session_resume: method<{ session: Session; turn: number | null }>()(
    object({ session: sessionId, prompt: optional(prompt) }),
  ),
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
  unsubscribe: method<{ ok: true; subscribed: boolean }>()(
    object({ topic: string({ min: 1, max: 256 }), node: optional(nodeName) }),
  ),

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
  /**
   * Answers with the scrollback (its last `scrollback` bytes when given, or what is held after the
   * offset `after`) and the offset its end is at, then streams term_output from there.
   */
  term_attach: query<{ terminal: TerminalInfo; scrollback: Uint8Array; offset: number }>()(
    object({ id: terminalId, scrollback: optional(integer({ min: 0 })), after: optional(integer({ min: 0 })) }),
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
  /** Forgets a peer: its pinned certificate, address and replication checkpoints (the next link pins anew). */
  cluster_forget: method<{ ok: true; forgotten: boolean }>()(object({ node: nodeName })),
  /**
   * The revocation list this node enforces; with `crl` (a CA-signed list, DER, as
   * `ca revoke` writes it), takes that list first when it is newer.
   */
  cluster_revocations: method<{ number: number; serials: string[]; taken: boolean }>()(
    object({ crl: optional(bytes({ max: 1 << 20 })) }),
  ),
  /** On the CA machine: a one-time token for a new node (`mesh_join`), for `name` only when given. */
  mesh_invite: query<{ token: string; expires: number; address: string }>()(
    object({
      name: optional(nodeName),
      /** How long the token holds, in ms (default one hour, at most a week). */
      ttl_ms: optional(integer({ min: 1, max: 7 * 86_400_000 })),
      /** More names or addresses to put in the new node's certificate. */
      hosts: optional(
        arrayOf(string({ pattern: /^[A-Za-z0-9.:_-]{1,253}$/, what: 'a host name or address' }), { max: 16 }),
      ),
    }),
  ),
  /** On a new node: joins with a token from `mesh_invite` on the node at `address`, then links with it. */
  mesh_join: method<{ ok: true; peer: PeerStatus }>()(
    object({ token: string({ min: 1, max: 512 }), address: hostPort, force: optional(boolean()) }),
  ),
  /** Every node this one knows of: itself, its peers and the nodes beyond them, online or not, with their figures. */
  node_list: query<{ nodes: NodeInfo[] }>()(object({})),
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
type DeclaredParams<M extends MethodName> = Methods[M] extends MethodSpec<infer P, unknown> ? P : never;
type DeclaredResult<M extends MethodName> = Methods[M] extends MethodSpec<unknown, infer R> ? R : never;
/** A method of a node family (tree-types.ts): it takes `node`, and a listing `nodes` too. */
type NodeMethod = `${NodeMethodPrefix}${string}`;
export type ParamsOf<M extends MethodName> = M extends NodeMethod
  ? DeclaredParams<M> & (M extends `${string}_list` ? ListingParams : NodeParams)
  : DeclaredParams<M>;
export type ResultOf<M extends MethodName> = M extends NodeMethod
  ? M extends `${string}_list`
    ? AcrossNodes<DeclaredResult<M>>
    : DeclaredResult<M>
  : DeclaredResult<M>;

/** Asked for every request: a set's lookup, where `methods` (some 150 keys) is a dictionary. */
const METHOD_NAMES: ReadonlySet<string> = new Set(Object.keys(methods));

export function isMethodName(name: string): name is MethodName {
  return METHOD_NAMES.has(name);
}
