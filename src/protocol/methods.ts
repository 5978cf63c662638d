import { CortexError } from './errors.js';
import { type Grant, IDENTITY_NAME, type Permission } from './access-types.js';
import type { ClusterStatus, PeerStatus, QueryMeshResult } from './mesh-types.js';
import { arrayOf, boolean, type Check, integer, literal, map, object, optional, string } from './validate.js';
import {
  ATTRIBUTE_NAME,
  isRecordKey,
  parseReplicationPolicy,
  type RecordKey,
  type ReplicationPolicy,
  type StoredRecord,
  TABLE_NAME,
  type TableInfo,
  NODE_NAME,
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
    object({
      table: anyTableName,
      records: arrayOf(record, { max: 100_000 }),
      /** Restores records with their versions (a backup): merged by last-writer-wins, not overwritten. */
      versions: optional(arrayOf(versionTuple, { max: 100_000 })),
    }),
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
  all: method<{ records: StoredRecord[]; cursor: string | null; versions?: VersionTuple[] }>()(
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
  acl_list: method<{ grants: Grant[] }>()(object({ identity: optional(identityName) })),
  auth: method<{ identity: string }>()(object({ token: string({ min: 1, max: 512, what: 'a token' }) })),
  token_create: method<{ name: string; token: string }>()(object({ name: identityName })),
  token_list: method<{ tokens: TokenInfo[] }>()(object({})),
  token_revoke: method<{ ok: true }>()(object({ name: identityName })),
  subscribe: method<{ ok: true; topic: string }>()(
    object({
      topic: string({ min: 3, max: 256, what: 'a topic such as table:NAME' }),
      after: optional(integer({ min: 0 })),
    }),
  ),
  unsubscribe: method<{ ok: true; subscribed: boolean }>()(object({ topic: string({ min: 1, max: 256 }) })),
  cluster_connect: method<{ ok: true; peer: PeerStatus }>()(object({ node: hostPort })),
  cluster_disconnect: method<{ ok: true; disconnected: boolean }>()(object({ node: nodeName })),
  cluster_status: method<ClusterStatus>()(object({})),
  query_mesh: method<QueryMeshResult>()(
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
