import type { Database, Statement } from 'better-sqlite3';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import type { RecordKey, ReplicationPolicy, StoredRecord } from '../../src/protocol/store-types.js';
import type { ChangeLog } from './change-log.js';
import type { HybridClock } from './hlc.js';
import type { RecordCache } from './record-cache.js';
import { policyIncludes } from './replication-policy.js';
import type { RowState, TableCatalog, TableHandle } from './table-catalog.js';
import { indexValue } from './table-sql.js';
import { compareVersions, type Version } from './version.js';

/** A put or delete received from a peer, with its original version. */
export interface RemoteWrite {
  /** Its seq in the sender's change log. */
  seq: number;
  table: string;
  key: RecordKey;
  hlc: number;
  node: string;
  op: 'put' | 'delete';
  /** The record's MessagePack bytes; null for a delete. */
  value: Uint8Array | null;
  /** In a full resync: the receiver gave the sender this change (so it had it once). */
  yours?: boolean;
}

/** What became of one remote write. */
export type MergeOutcome =
  | 'applied' // it was newer and is now the record's version here
  | 'older' // this node already has this version or a newer one
  | 'stale' // no row here for a version this node once had (or, restoring a backup, one below the horizon): deleted since
  | 'refused'; // the table does not exist here or its policy excludes this node

/** Called for each remote write inside the applying transaction, with the row as it was. */
export type MergeObserver = (
  write: RemoteWrite,
  before: Omit<RowState, 'v'> | undefined,
  outcome: MergeOutcome,
) => void;

const scanner = new FrameScanner();

/** A remote or restored write that was applied, with its seq in this node's change log. */
export interface AppliedWrite {
  write: RemoteWrite;
  seq: number;
}

/**
 * Merges remote versions into the tables: record-level last-writer-wins by
 * (hlc, node). Every merge moves the local clock past the remote timestamp (so a
 * later local write of the key wins over what was received), and an applied change
 * takes the next seq of the change log with its origin node, so it relays onward.
 * Runs inside a transaction that the store opened.
 */
export class Merger {
  private readonly horizons = new Map<string, Version>();
  /** The change-log seq of the last write applied. */
  lastLogged = 0;
  private readonly setHorizon: Statement<[string, number, string]>;
  private readonly removeHorizon: Statement<[string]>;
  private readonly readHorizons: Statement<[], { tbl: string; hlc: number; node: string }>;

  constructor(
    db: Database,
    private readonly catalog: TableCatalog,
    private readonly log: ChangeLog,
    private readonly clock: HybridClock,
    private readonly node: string,
    /** An applied write forgets its row's cached bytes. */
    private readonly cache: RecordCache,
  ) {
    this.readHorizons = db.prepare<[], { tbl: string; hlc: number; node: string }>(
      'SELECT tbl, hlc, node FROM _horizons',
    );
    this.setHorizon = db.prepare('INSERT OR REPLACE INTO _horizons (tbl, hlc, node) VALUES (?, ?, ?)');
    this.removeHorizon = db.prepare('DELETE FROM _horizons WHERE tbl = ?');
    this.reload();
  }

  /** Reads the horizons again from the database: after a rolled-back transaction changed them in memory. */
  reload(): void {
    this.horizons.clear();
    for (const row of this.readHorizons.all()) this.horizons.set(row.tbl, { hlc: row.hlc, node: row.node });
  }

  /** Whether this node takes a table's records at all. */
  accepts(policy: ReplicationPolicy): boolean {
    return policyIncludes(policy, this.node);
  }

  /**
   * Applies one remote write if it is newer than the local version. `src` is the
   * peer it came from (null for a versioned restore from a backup). `hadIt` says
   * this node is known to have held this version once: with no row for the key
   * now, its tombstone was collected, so the write is a deleted record coming back.
   */
  merge(write: RemoteWrite, src: string | null, observer?: MergeObserver, hadIt = false): MergeOutcome {
    if (!this.catalog.has(write.table)) return 'refused';
    const handle = this.catalog.handle(write.table);
    if (src !== null && !this.accepts(handle.info.replicate)) return 'refused';
    // Raises EINVAL for a timestamp too far ahead; callers check the bound first to defer instead.
    this.clock.observe(write.hlc);
    const before = handle.version.get(write.key);
    const outcome = this.decide(write, before, src === null, hadIt);
    observer?.(write, before, outcome);
    if (outcome !== 'applied') return outcome;
    const seq = this.log.next();
    this.cache.forget(handle.records, write.key);
    if (write.op === 'put') handle.put.run(...this.rowValues(handle, write, seq, src));
    else handle.putTombstone.run(write.key, write.hlc, write.node, seq, src);
    this.lastLogged = seq;
    return 'applied';
  }

  private decide(
    write: RemoteWrite,
    before: Omit<RowState, 'v'> | undefined,
    restoring: boolean,
    hadIt: boolean,
  ): MergeOutcome {
    if (before !== undefined) return compareVersions(write, before) > 0 ? 'applied' : 'older';
    // A delete is always safe to keep. A put for a key with no row here was deleted here
    // only if a tombstone at least as new was collected, so only at or below the horizon.
    const horizon = this.horizons.get(write.table);
    if (write.op === 'delete' || horizon === undefined || compareVersions(write, horizon) > 0) return 'applied';
    // This node held that version once (so its tombstone was collected), or it is restoring
    // a backup older than what it has seen: either way the record was deleted since.
    return hadIt || restoring ? 'stale' : 'applied';
  }

  private rowValues(handle: TableHandle, write: RemoteWrite, seq: number, src: string | null): unknown[] {
    const bytes = Buffer.from(write.value!.buffer, write.value!.byteOffset, write.value!.byteLength);
    const values: unknown[] = [write.key, bytes, write.hlc, write.node, seq, src];
    if (handle.info.indexes.length > 0) {
      const record = decode(bytes) as StoredRecord;
      for (const attribute of handle.info.indexes) {
        values.push(indexValue(Object.hasOwn(record, attribute) ? record[attribute] : undefined));
      }
    }
    return values;
  }

  horizonOf(table: string): Version | undefined {
    return this.horizons.get(table);
  }

  /** Raises a table's horizon after its tombstones up to `version` were collected; inside a transaction. */
  raiseHorizon(table: string, version: Version): void {
    const current = this.horizons.get(table);
    if (current !== undefined && compareVersions(current, version) >= 0) return;
    this.setHorizon.run(table, version.hlc, version.node);
    this.horizons.set(table, version);
  }

  /** The table was dropped; inside the dropping transaction. */
  forgetTable(table: string): void {
    this.removeHorizon.run(table);
    this.horizons.delete(table);
  }
}

/** A record received from a peer must be exactly one MessagePack map, or clients would be sent garbage. */
export function isEncodedMap(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  const first = bytes[0]!;
  if (!((first >= 0x80 && first <= 0x8f) || first === 0xde || first === 0xdf)) return false;
  scanner.reset();
  try {
    return scanner.scan(bytes, 0) === bytes.length;
  } catch {
    scanner.reset();
    return false;
  }
}
