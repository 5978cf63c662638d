import type { MsgValue } from './msgpack-types.js';

/** A record: a map whose key attribute (the table's first) is a string or an integer. */
export type StoredRecord = Record<string, MsgValue>;
export type RecordKey = string | number;

/** `local` never leaves the node; `mesh` goes to every peer; `peers:a,b` to those nodes only. */
export type ReplicationPolicy = 'local' | 'mesh' | `peers:${string}`;

export interface TableInfo {
  name: string;
  /** Ordered; the first is the key. */
  attributes: string[];
  indexes: string[];
  replicate: ReplicationPolicy;
  owner: string;
  /** Milliseconds since the epoch. */
  created: number;
  /**
   * Which table this is, across the mesh: the node that created it and the HLC of its
   * creation (`a:1733456789000123`). A replica applies a peer's changes only to the same
   * incarnation; a same-named table with another one is a clash, never merged.
   */
  incarnation: string;
}

/** Another incarnation of a table's name, offered by a peer and refused here. */
export interface TableClash {
  incarnation: string;
  /** The node that created it. */
  node: string;
  owner: string;
  replicate: ReplicationPolicy;
  /** The peer that sent it. */
  peer: string;
  /** When it was first refused (ms since the epoch). */
  since: number;
}

/** A table as `tables` lists it: its definition and the clashes it is in. */
export interface TableListing extends TableInfo {
  clashes: TableClash[];
}

/** A table name: a letter, then letters, digits, `_`, `-` or `.`; `_` first is reserved for system tables. */
export const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;
/** An attribute name: a letter or `_`, then letters, digits or `_`. */
export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** A node name, as used in `peers:a,b`. */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** A table incarnation: `NODE:HLC`. */
export const INCARNATION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}:[0-9]{1,16}$/;

export function isRecordKey(value: unknown): value is RecordKey {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

export function parseReplicationPolicy(text: string): ReplicationPolicy | undefined {
  if (text === 'local' || text === 'mesh') return text;
  if (!text.startsWith('peers:')) return undefined;
  const nodes = text.slice('peers:'.length).split(',');
  if (nodes.length === 0 || !nodes.every((node) => NODE_NAME.test(node))) return undefined;
  return `peers:${nodes.join(',')}`;
}
