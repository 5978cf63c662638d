import { CortexError } from './errors.js';
import { type Grant, IDENTITY_NAME, type Permission } from './access-types.js';
import { type Project, PROVIDERS, type Session, SESSION_STATUSES, type Workspace } from './runtime-types.js';
import type { SessionEvent } from './session-events.js';
import { arrayOf, type Check, integer, literal, map, object, optional, string } from './validate.js';
import {
  ATTRIBUTE_NAME,
  isRecordKey,
  parseReplicationPolicy,
  type RecordKey,
  type ReplicationPolicy,
  type StoredRecord,
  TABLE_NAME,
  type TableInfo,
} from './store-types.js';

/**
 * Every RPC method, declared once: its name, a parser for its params (run at the
 * daemon's edge) and its result type. The daemon's handlers, the client and the
 * CLI are all typed from this table.
 */
export interface MethodSpec<P, R> {
  params: Check<P>;
  /** Phantom: carries the result type only. */
  result?: R;
}

function method<R>() {
  return <P>(params: Check<P>): MethodSpec<P, R> => ({ params });
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
  tables: number;
  connections: number;
  identity: string;
  /** For liveness badges: 1-minute load average, memory in use (0..1), free bytes on the data disk. */
  resources: { load1: number; memory_used: number; disk_free: number };
}

export const methods = {
  ping: method<{ pong: true }>()(object({})),
  status: method<StatusResult>()(object({})),
  create_table: method<{ ok: true; table: TableInfo }>()(
    object({
      name: tableName,
      attributes: arrayOf(attributeName, { min: 1, max: 256 }),
      indexes: optional(arrayOf(attributeName, { max: 64 })),
      replicate: optional(replicate),
    }),
  ),
  drop_table: method<{ ok: true }>()(object({ name: anyTableName })),
  tables: method<{ tables: TableInfo[] }>()(object({})),
  put: method<{ ok: true }>()(object({ table: anyTableName, record })),
  put_many: method<{ ok: true; count: number }>()(
    object({ table: anyTableName, records: arrayOf(record, { max: 100_000 }) }),
  ),
  get: method<{ record: StoredRecord | null }>()(object({ table: anyTableName, key: recordKey })),
  delete: method<{ ok: true; deleted: boolean }>()(object({ table: anyTableName, key: recordKey })),
  match: method<{ records: StoredRecord[]; truncated: boolean }>()(
    object({
      table: anyTableName,
      pattern: map(),
      limit: optional(integer({ min: 1, max: MAX_PAGE })),
    }),
  ),
  all: method<{ records: StoredRecord[]; cursor: string | null }>()(
    object({
      table: anyTableName,
      limit: optional(integer({ min: 1, max: MAX_PAGE })),
      cursor: optional(cursor),
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
  acl_list: method<{ grants: Grant[] }>()(object({ identity: optional(identityName) })),
  auth: method<{ identity: string }>()(object({ token: string({ min: 1, max: 512, what: 'a token' }) })),
  token_create: method<{ name: string; token: string }>()(object({ name: identityName })),
  token_list: method<{ tokens: TokenInfo[] }>()(object({})),
  token_revoke: method<{ ok: true }>()(object({ name: identityName })),
  /** For `session:ID`, `last_seq` is the last event sent before live ones follow. */
  subscribe: method<{ ok: true; topic: string; last_seq?: number }>()(
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
  project_list: method<{ projects: Project[] }>()(object({})),
  project_remove: method<{ ok: true }>()(object({ name: projectName })),
  workspace_add: method<{ workspace: Workspace; created: boolean }>()(
    object({ path: absolutePath, project: optional(projectName) }),
  ),
  workspace_list: method<{ workspaces: Workspace[] }>()(object({})),
  workspace_remove: method<{ ok: true }>()(object({ workspace: workspaceRef })),
  session_start: method<{ session: Session }>()(
    object({
      workspace: workspaceRef,
      provider: optional(literal(...PROVIDERS)),
      prompt: optional(prompt),
      model: optional(string({ min: 1, max: 128, what: 'a model name' })),
      options: optional(map()),
    }),
  ),
  session_send: method<{ ok: true; turn: number; queued: boolean }>()(object({ session: sessionId, prompt })),
  session_interrupt: method<{ ok: true; interrupted: boolean }>()(object({ session: sessionId })),
  session_stop: method<{ ok: true }>()(object({ session: sessionId })),
  session_list: method<{ sessions: Session[] }>()(
    object({ workspace: optional(workspaceRef), status: optional(literal(...SESSION_STATUSES)) }),
  ),
  session_get: method<{ session: Session }>()(object({ session: sessionId })),
  session_events: method<{ events: SessionEvent[]; next: number | null }>()(
    object({
      session: sessionId,
      after: optional(integer({ min: 0 })),
      limit: optional(integer({ min: 1, max: MAX_PAGE })),
    }),
  ),
  unsubscribe: method<{ ok: true; subscribed: boolean }>()(object({ topic: string({ min: 1, max: 256 }) })),
} satisfies Record<string, MethodSpec<unknown, unknown>>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Methods[M] extends MethodSpec<infer P, unknown> ? P : never;
export type ResultOf<M extends MethodName> = Methods[M] extends MethodSpec<unknown, infer R> ? R : never;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}
