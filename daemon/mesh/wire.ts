import { CortexError, type ErrorCode, isErrorCode } from '../../src/protocol/errors.js';
import type { PeerResources } from '../../src/protocol/mesh-types.js';
import { NODE_REASONS, type NodeReason, type NodeSummary } from '../../src/protocol/tree-types.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import {
  ATTRIBUTE_NAME,
  INCARNATION,
  isRecordKey,
  NODE_NAME,
  parseReplicationPolicy,
  type RecordKey,
  type ReplicationPolicy,
  TABLE_NAME,
} from '../../src/protocol/store-types.js';
import {
  any,
  arrayOf,
  boolean,
  bytes,
  type Check,
  integer,
  isPlainMap,
  literal,
  map,
  object,
  optional,
  string,
} from '../../src/protocol/validate.js';
import { incarnationOf } from '../store/incarnations.js';
import { type CallProof, parseCallProof } from './call-proof.js';
import type { RemoteWrite } from '../store/merge.js';
import type { RemoteSchemaChange, ResyncHorizon, TableDefinition } from '../store/replica.js';

/**
 * The peer protocol: MessagePack-RPC notifications and requests on the mesh
 * link. Everything a peer sends is parsed here before use, as the daemon parses
 * what clients send: an authenticated peer can still be a buggy one.
 *
 *   hello        {proto, node, version, clock, hlc, checkpoint, seen, resync, horizons, listen, crl}
 *   changes      {after, to, caught_up, defs, changes: [[seq, table, key, hlc, node, op, value, yours?]]}
 *                defs: the definition of every table the batch creates or writes, with its
 *                incarnation; a drop carries the incarnation it drops in place of the key
 *   ack          {seq}                        the receiver applied and committed up to seq
 *   defer        {seq, retry_ms, reason}      send again from seq+1, after retry_ms: the receiver stopped
 *                                             there (a clock too far ahead), or went back there (a clash
 *                                             resolved: it wants changes it refused before)
 *   heartbeat    {clock, hlc, head, resources, crl, nodes?}
 *                nodes: what the sender knows of every node (itself included), for routes and
 *                badges; absent from a node without it, which is then a peer with no routes beyond it
 *   revocations  {crl}                        a newer revocation list than the peer's (CA-signed DER)
 *   bye          {code, message}              why the link is being closed (or refused)
 *   query        request: a match on behalf of an identity, relayed further, with its node's proof
 *   forward      request {target, route, identity, conn, method, params, proof?}: a call for the node
 *                `target`, relayed hop by hop (each appends itself to route); answered with the method's
 *                result. proof: {cert, at, nonce, sig}, the origin's signature (call-proof.ts), which a
 *                call that went through another node must carry
 *   stream       {to, from, conn, topic, name, params}: a notification for a connection of node `to`
 *   release      {to, from, conn, topic}      the connection of node `from` no longer wants `topic` (all: null)
 *
 * The first heartbeat also says that the sender admitted the link: a refusing
 * side sends `bye` instead, so a link counts as up only once it arrives.
 */
export const PROTOCOL = 2;

/** A forwarded call or stream goes through at most this many nodes. */
export const MAX_ROUTE = 16;

/** A heartbeat tells of at most this many nodes (its sender included): a peer refuses one that tells of more. */
export const MAX_GOSSIP = 4096;

export const OP_WIRE = { put: 0, delete: 1, create: 2, drop: 3 } as const;

const nodeName = string({ pattern: NODE_NAME, what: 'a node name' });
const seq = integer({ min: 0 });

export interface Hello {
  proto: number;
  node: string;
  version: string;
  /** The sender's wall clock, in ms: a peer far ahead is refused. */
  clock: number;
  hlc: number;
  /** How far into the receiver's change log the sender has applied. */
  checkpoint: number;
  /** The furthest the sender ever applied of the receiver's log (a resync restarts from 0). */
  seen: number;
  /** The sender will send its whole log; the receiver drops what is below these horizons and was not sent. */
  resync: boolean;
  horizons: ResyncHorizon[];
  /** Where the sender's mesh listener is bound (HOST:PORT), so a node it dialled can dial it back; null when none. */
  listen?: string | undefined;
  /** The newest revocation list the sender holds (CA-signed DER), when it holds one. */
  crl?: Uint8Array | undefined;
}

/** A revocation list as it travels: a CRL is a few dozen bytes per revoked certificate. */
const crlBytes = bytes({ max: 1 << 20 });

const horizon: Check<ResyncHorizon> = (value, path) => {
  if (
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === 'string' &&
    TABLE_NAME.test(value[0]) &&
    typeof value[1] === 'string' &&
    INCARNATION.test(value[1]) &&
    typeof value[2] === 'number' &&
    Number.isSafeInteger(value[2]) &&
    typeof value[3] === 'string'
  ) {
    return [value[0], value[1], value[2], value[3]];
  }
  throw new CortexError('EPROTO', `${path} must be [table, incarnation, hlc, node].`);
};

export const parseHello: Check<Hello> = object({
  proto: integer({ min: 1 }),
  node: nodeName,
  version: string({ max: 64 }),
  clock: integer({ min: 0 }),
  hlc: integer({ min: 0 }),
  checkpoint: seq,
  seen: seq,
  resync: boolean(),
  horizons: arrayOf(horizon, { max: 100_000 }),
  listen: optional(string({ pattern: /^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, what: 'HOST:PORT' })),
  crl: optional(crlBytes),
});

export interface Heartbeat {
  clock: number;
  hlc: number;
  /** The sender's change-log head, for the receiver's lag. */
  head: number;
  resources: PeerResources;
  /** The number of the revocation list the sender holds (0: none): a peer holding a newer one sends it. */
  crl: number;
  nodes: GossipEntry[];
}

/** What a node knows of another (or of itself, at 0 hops), as its heartbeats tell its peers. */
export interface GossipEntry {
  node: string;
  hops: number;
  /** How long ago the sender last had news of it, in ms. */
  age_ms: number;
  summary: NodeSummary | null;
  /** The sender cannot reach it, and why. */
  down: { reason: NodeReason; message: string } | null;
}

const finite = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** A node's figures, read leniently: a figure it does not send counts as 0. */
const summary: Check<NodeSummary> = (value, path) => {
  const parsed = map()(value, path);
  const objects = isPlainMap(parsed['objects']) ? parsed['objects'] : {};
  return {
    load: finite(parsed['load']),
    mem_free: finite(parsed['mem_free']),
    mem_total: finite(parsed['mem_total']),
    disk_free: typeof parsed['disk_free'] === 'number' ? parsed['disk_free'] : null,
    sessions_running: finite(parsed['sessions_running']),
    objects: {
      projects: finite(objects['projects']),
      workspaces: finite(objects['workspaces']),
      sessions: finite(objects['sessions']),
      terminals: finite(objects['terminals']),
    },
  };
};

const gossipEntry: Check<GossipEntry> = object({
  node: nodeName,
  hops: integer({ min: 0, max: MAX_ROUTE }),
  age_ms: integer({ min: 0 }),
  summary: (value, path) => (value === null ? null : summary(value, path)),
  down: (value, path) =>
    value === null ? null : object({ reason: literal(...NODE_REASONS), message: string({ max: 2000 }) })(value, path),
});

export const parseHeartbeat: Check<Heartbeat> = object({
  clock: integer({ min: 0 }),
  hlc: integer({ min: 0 }),
  head: seq,
  resources: (value, path) => {
    const parsed = map()(value, path);
    const number = (key: string) => (typeof parsed[key] === 'number' ? parsed[key] : 0);
    return {
      load: number('load'),
      mem_free: number('mem_free'),
      mem_total: number('mem_total'),
      disk_free: typeof parsed['disk_free'] === 'number' ? parsed['disk_free'] : null,
    };
  },
  crl: integer({ min: 0 }),
  nodes: (value, path) => (value === undefined ? [] : arrayOf(gossipEntry, { max: MAX_GOSSIP })(value, path)),
});

export const parseRevocations: Check<{ crl: Uint8Array }> = object({ crl: crlBytes });

export const parseAck: Check<{ seq: number }> = object({ seq });
export const parseDefer: Check<{ seq: number; retry_ms: number; reason: string }> = object({
  seq,
  retry_ms: integer({ min: 0 }),
  reason: string({ max: 1000 }),
});

export interface Bye {
  code: ErrorCode;
  message: string;
}

export function parseBye(value: unknown): Bye {
  const params = isPlainMap(value) ? value : {};
  return {
    code: isErrorCode(params['code']) ? params['code'] : 'EPROTO',
    message: typeof params['message'] === 'string' ? params['message'] : 'the peer closed the link',
  };
}

/** What a drop carries in place of a record: the dropped table's policy and who dropped it. */
export interface WireDrop {
  replicate: ReplicationPolicy;
  by: string;
}

/**
 * One change as it travels: [seq, table, key, hlc, node, op, value], plus, in a full
 * resync, a last 1 when the change came from the receiver. A drop has the incarnation
 * it drops as its key.
 */
export type WireChange =
  | [number, string, RecordKey, number, string, number, Uint8Array | WireDrop | null]
  | [number, string, RecordKey, number, string, number, Uint8Array | WireDrop | null, 1];

export interface ChangesMessage {
  after: number;
  to: number;
  caught_up: boolean;
  defs: TableDefinition[];
  changes: WireChange[];
}

export interface ChangeBatch {
  after: number;
  to: number;
  caughtUp: boolean;
  defs: Map<string, TableDefinition>;
  changes: (RemoteWrite | RemoteSchemaChange)[];
}

const parseDefinition: Check<TableDefinition> = (value, path) => {
  const parsed = object({
    name: string({ pattern: TABLE_NAME, what: 'a table name' }),
    attributes: arrayOf(string({ pattern: ATTRIBUTE_NAME, what: 'an attribute name' }), { min: 1, max: 256 }),
    indexes: arrayOf(string({ pattern: ATTRIBUTE_NAME, what: 'an attribute name' }), { max: 64 }),
    replicate: string({ max: 4096 }),
    owner: string({ min: 1, max: 128 }),
    created: integer({ min: 0 }),
    hlc: integer({ min: 0 }),
    node: nodeName,
    incarnation: string({ max: 128 }),
  })(value, path);
  const replicate = parseReplicationPolicy(parsed.replicate);
  if (replicate === undefined) throw new CortexError('EPROTO', `${path}.replicate is not a replication policy.`);
  if (parsed.incarnation !== incarnationOf(parsed)) {
    throw new CortexError('EPROTO', `${path}.incarnation must name the node and clock of its creation.`);
  }
  if (!parsed.indexes.every((attribute) => parsed.attributes.includes(attribute))) {
    throw new CortexError('EPROTO', `${path}.indexes must name attributes.`);
  }
  return { ...parsed, replicate };
};

const parseChangesHeader = object({
  after: seq,
  to: seq,
  caught_up: boolean(),
  defs: arrayOf(parseDefinition, { max: 10_000 }),
  changes: arrayOf((value) => value, { max: 100_000 }),
});

/** Parses a `changes` message into the store's terms, refusing anything malformed. */
export function parseChanges(value: unknown): ChangeBatch {
  const header = parseChangesHeader(value, 'changes');
  const changes = header.changes.map((item, index) => parseChange(item, `changes.changes[${index}]`));
  let last = header.after;
  for (const change of changes) {
    if (change.seq <= last) throw new CortexError('EPROTO', 'The changes of a batch must come in seq order.');
    last = change.seq;
  }
  if (header.to < last) throw new CortexError('EPROTO', 'A batch must cover the changes it holds.');
  return {
    after: header.after,
    to: header.to,
    caughtUp: header.caught_up,
    defs: new Map(header.defs.map((definition) => [definition.name, definition])),
    changes,
  };
}

function parseChange(value: unknown, path: string): RemoteWrite | RemoteSchemaChange {
  if (!Array.isArray(value) || (value.length !== 7 && value.length !== 8)) {
    throw new CortexError('EPROTO', `${path} must be a 7- or 8-item array.`);
  }
  const [changeSeq, table, key, hlc, node, op, payload, yours] = value as MsgValue[];
  const ok =
    typeof changeSeq === 'number' &&
    Number.isSafeInteger(changeSeq) &&
    typeof table === 'string' &&
    TABLE_NAME.test(table) &&
    isRecordKey(key) &&
    typeof hlc === 'number' &&
    Number.isSafeInteger(hlc) &&
    hlc >= 0 &&
    typeof node === 'string' &&
    NODE_NAME.test(node);
  if (!ok) throw new CortexError('EPROTO', `${path} is not [seq, table, key, hlc, node, op, value].`);
  switch (op) {
    case OP_WIRE.put:
      if (!(payload instanceof Uint8Array))
        throw new CortexError('EPROTO', `${path}: a put carries the record's bytes.`);
      return { seq: changeSeq, table, key, hlc, node, op: 'put', value: payload, yours: yours === 1 };
    case OP_WIRE.delete:
      return { seq: changeSeq, table, key, hlc, node, op: 'delete', value: null, yours: yours === 1 };
    case OP_WIRE.create:
      return { seq: changeSeq, table, hlc, node, op: 'create' };
    case OP_WIRE.drop: {
      const drop = isPlainMap(payload) ? payload : {};
      const replicate = typeof drop['replicate'] === 'string' ? parseReplicationPolicy(drop['replicate']) : undefined;
      const by = drop['by'];
      const incarnation = typeof key === 'string' && (key === '' || INCARNATION.test(key)) ? key : undefined;
      if (replicate === undefined || typeof by !== 'string' || by.length > 256 || incarnation === undefined) {
        throw new CortexError('EPROTO', `${path}: a drop carries an incarnation, {replicate, by}.`);
      }
      return { seq: changeSeq, table, hlc, node, op: 'drop', incarnation, replicate, by };
    }
    default:
      throw new CortexError('EPROTO', `${path} has an unknown operation.`);
  }
}

export interface QueryRequest {
  table: string;
  pattern: Record<string, MsgValue>;
  limit: number;
  /** Who asked, in full (`KIND:NAME@NODE`): each node checks it against its own grants and mappings. */
  identity: string;
  timeout_ms: number;
  /** Nodes already asked (or being asked): not to be asked again. */
  exclude: string[];
  /** The signature of the identity's node over the query (call-proof.ts). */
  proof?: CallProof | undefined;
}

export const parseQueryRequest: Check<QueryRequest> = object({
  table: string({ min: 1, max: 64 }),
  pattern: map(),
  limit: integer({ min: 1, max: 10_000 }),
  identity: string({ min: 1, max: 300 }),
  timeout_ms: integer({ min: 1, max: 60_000 }),
  exclude: arrayOf(nodeName, { max: 10_000 }),
  proof: optional(parseCallProof),
});

/** One node's answer to a mesh query: the records as stored bytes, or why it has none. */
export interface NodeAnswer {
  node: string;
  records?: Uint8Array[];
  truncated?: boolean;
  code?: ErrorCode;
  message?: string;
}

export function parseAnswers(value: unknown): NodeAnswer[] {
  const answers = isPlainMap(value) && Array.isArray(value['answers']) ? value['answers'] : [];
  return answers.flatMap((item): NodeAnswer[] => {
    if (!isPlainMap(item) || typeof item['node'] !== 'string' || !NODE_NAME.test(item['node'])) return [];
    const records = item['records'];
    if (Array.isArray(records)) {
      return [
        {
          node: item['node'],
          records: records.filter((record): record is Uint8Array => record instanceof Uint8Array),
          truncated: item['truncated'] === true,
        },
      ];
    }
    return [
      {
        node: item['node'],
        code: isErrorCode(item['code']) ? item['code'] : 'EINTERNAL',
        message: typeof item['message'] === 'string' ? item['message'] : 'The node could not answer.',
      },
    ];
  });
}

/** A call for another node, relayed hop by hop (see NodeCalls). */
export interface ForwardRequest {
  /** The node that runs it. */
  target: string;
  /** The nodes it went through: the caller's node first, then each relay. */
  route: string[];
  /** The caller's full identity on its node (daemon/access/forwarded-identity.ts). */
  identity: string;
  /** The calling connection on the caller's node: its streams come back to it. */
  conn: string;
  method: string;
  params: Record<string, MsgValue>;
  /** The origin's signature over the call, for the target to check when it came through other nodes. */
  proof?: CallProof | undefined;
}

export const parseForward: Check<ForwardRequest> = object({
  target: nodeName,
  route: arrayOf(nodeName, { min: 1, max: MAX_ROUTE }),
  identity: string({ min: 3, max: 300 }),
  conn: string({ min: 1, max: 64 }),
  method: string({ min: 1, max: 64 }),
  params: map(),
  proof: optional(parseCallProof),
});

/** A notification for a connection of another node (a stream it subscribed to here). */
export interface StreamMessage {
  to: string;
  from: string;
  conn: string;
  topic: string;
  name: string;
  /** As the notification was published there (a session event, terminal output...). */
  params: unknown;
}

export const parseStream: Check<StreamMessage> = object({
  to: nodeName,
  from: nodeName,
  conn: string({ min: 1, max: 64 }),
  topic: string({ min: 1, max: 300 }),
  name: string({ min: 1, max: 64 }),
  params: any(),
});

/** A connection of node `from` no longer wants `topic` from node `to` (nothing at all, when topic is null). */
export interface ReleaseMessage {
  to: string;
  from: string;
  conn: string;
  topic: string | null;
}

export const parseRelease: Check<ReleaseMessage> = (value, path) => {
  const parsed = object({
    to: nodeName,
    from: nodeName,
    conn: string({ min: 1, max: 64 }),
    topic: optional(string({ min: 1, max: 300 })),
  })(value, path);
  return { ...parsed, topic: parsed.topic ?? null };
};
