import type { Database } from 'better-sqlite3';
import type { ClashSide, TableClashData } from '../../src/protocol/mesh-types.js';
import type { RecordKey, ReplicationPolicy, TableClash, TableInfo } from '../../src/protocol/store-types.js';
import { type ChangeLog, type LogEntry, OP_CREATE, OP_DELETE, OP_DROP, OP_PUT } from './change-log.js';
import { HLC_PER_MS, type HybridClock } from './hlc.js';
import { incarnationOf, type Incarnations, type Rewind, type TableDrop } from './incarnations.js';
import { keyId } from './key-id.js';
import { type AppliedWrite, isEncodedMap, type MergeObserver, type Merger, type RemoteWrite } from './merge.js';
import type { RecordCache } from './record-cache.js';
import { policyIncludes } from './replication-policy.js';
import type { RowState, TableCatalog } from './table-catalog.js';
import { tableSqlName } from './table-sql.js';
import { compareVersions, type Version } from './version.js';
import type { WriteBatcher } from './write-batcher.js';

/** A table definition as it travels between nodes, with the version of its creation. */
export interface TableDefinition extends TableInfo {
  hlc: number;
  node: string;
}

/** A table created or dropped on a peer. */
export type RemoteSchemaChange =
  | { seq: number; table: string; hlc: number; node: string; op: 'create' }
  | {
      seq: number;
      table: string;
      hlc: number;
      node: string;
      op: 'drop';
      /** The incarnation dropped ('' for a drop recorded before incarnations). */
      incarnation: string;
      /** The policy the dropped table had, so the drop relays to the same nodes. */
      replicate: ReplicationPolicy;
      /** Who dropped it, on the node where it was dropped. */
      by: string;
    };

/** A batch of a peer's changes, in the order of its change log. */
export interface RemoteBatch {
  /** The peer it comes from. */
  from: string;
  /** The last seq of the peer's log the batch covers (entries not meant for this node are left out). */
  to: number;
  changes: readonly (RemoteWrite | RemoteSchemaChange)[];
  /** The definition of every table the batch creates or writes: the incarnation its changes belong to. */
  defs: ReadonlyMap<string, TableDefinition>;
  /** Saves how far into the peer's log this node got; runs inside the transaction that applied it. */
  checkpoint(seq: number): void;
  observer?: MergeObserver | undefined;
  /** During a full resync: whether this node is known to have held this version once. */
  hadIt?: ((write: RemoteWrite) => boolean) | undefined;
}

/** Why a table's changes in a batch were refused; a clash names both tables. */
export interface Refusal {
  incarnation: string;
  reason: string;
  clash?: TableClashData;
}

export interface ApplyResult {
  /** The seq the checkpoint was moved to. */
  checkpoint: number;
  applied: number;
  /** Puts refused as deleted records coming back (see Merger.merge). */
  stale: number;
  /** Tables whose changes were refused, with the reason (policy, a clash, a drop from outside the policy). */
  refused: Map<string, Refusal>;
  /** Tables created here from the peer's definitions. */
  created: TableDefinition[];
  /** Tables dropped here by the batch. */
  dropped: TableDrop[];
  /** Set when a change's timestamp was too far ahead: it and what follows wait. */
  deferred?: { seq: number; aheadMs: number };
}

/** A tombstone horizon as a full resync sends it: [table, incarnation, hlc, node]. */
export type ResyncHorizon = [string, string, number, string];

/** The parts of the store a replica writes through; the store makes them and keeps them. */
export interface ReplicaParts {
  db: Database;
  node: string;
  now: () => number;
  catalog: TableCatalog;
  /** Every row changed here forgets its cached bytes. */
  cache: RecordCache;
  changeLog: ChangeLog;
  clock: HybridClock;
  merger: Merger;
  batcher: WriteBatcher;
  incarnations: Incarnations;
  /** Runs a catalog change in a transaction of its own, after committing pending writes. */
  exclusive(work: () => void): void;
  /** Saves the highest clock value seen; inside a transaction. */
  saveClock(): void;
  announceLog(): void;
  announceWrites(writes: AppliedWrite[]): void;
}

/**
 * The store's side of replication, and the only way the mesh changes the store:
 * applying a peer's changes (only to the same incarnation of a table), the end of
 * a full resync, tombstone collection, and reading the change log to send. Every
 * row change made here takes the change log's next seq, like the store's own writes.
 */
export class Replica {
  private readonly rewindListeners = new Set<(rewind: Rewind) => void>();

  constructor(private readonly parts: ReplicaParts) {}

  /** The clock's current value. */
  get hlc(): number {
    return this.parts.clock.current;
  }

  /** How far ahead of this node's clock a remote timestamp may be. */
  get maxDriftMs(): number {
    return this.parts.clock.maxDriftMs;
  }

  /** Log entries after `seq`, committed ones only: the acknowledged puts that wait for their commit are committed first. */
  changesAfter(seq: number, limit: number): LogEntry[] {
    this.parts.batcher.commit();
    return this.parts.changeLog.entriesAfter(seq, limit);
  }

  /**
   * Log entries after `seq` up to the last commit, without committing: what the mesh sends.
   * Committing here, as changesAfter does, made every turn of a node with linked peers a
   * commit, since each put's turn had its links read the log (a sequential put 8x slower than
   * unlinked). A put held in the journal goes out with the commit that takes it into the
   * database (within commit_interval_ms), which tells the log's listeners (Store.onLog).
   */
  committedChangesAfter(seq: number, limit: number): LogEntry[] {
    // A pending batch's write moves its row to a seq past the commit, out of the range read here; rolled
    // back, the row is at its old seq again, below the end of what was sent: a peer would never get it.
    if (this.parts.batcher.holdsUnjournaledWrites) this.parts.batcher.commit();
    return this.parts.changeLog.committedAfter(seq, limit);
  }

  /** The newest committed seq of the change log. */
  headSeq(): number {
    this.parts.batcher.commit();
    return this.parts.changeLog.headSeq();
  }

  /**
   * The clock of the first committed entry after `seq`, if any: how old the oldest unsent change is.
   * Committed first, as changesAfter: a put's row may still wait for its INSERT (see WriteBatcher.read).
   */
  firstHlcAfter(seq: number): number | undefined {
    this.parts.batcher.commit();
    return this.parts.changeLog.firstHlcAfter(seq);
  }

  /** A row's bytes and version, tombstones included; undefined when the table or row is absent. */
  rowState(table: string, key: RecordKey): RowState | undefined {
    // Acknowledged puts whose statements wait (see WriteBatcher.read) are written first.
    this.parts.batcher.read();
    return this.parts.catalog.find(table)?.row.get(key);
  }

  /** The definition of a table as peers receive it. */
  definition(table: string): TableDefinition | undefined {
    const handle = this.parts.catalog.find(table);
    if (handle === undefined) return undefined;
    const version = this.parts.catalog.versionOf(table)!;
    return { ...handle.info, hlc: version.hlc, node: version.node };
  }

  /** The drop of one incarnation of a replicated table, if this node knows of it. */
  dropOf(table: string, incarnation: string): TableDrop | undefined {
    return this.parts.incarnations.dropOf(table, incarnation);
  }

  /** Other incarnations of a table's name that peers offered and this node refused. */
  clashesOf(table: string): TableClash[] {
    return this.parts.incarnations.clashesOf(table);
  }

  /** Called when a clash is resolved here and a peer's log must be read again (see Incarnations.resolve). */
  onRewind(listener: (rewind: Rewind) => void): () => void {
    this.rewindListeners.add(listener);
    return () => this.rewindListeners.delete(listener);
  }

  /** After a commit that resolved clashes. */
  announceRewinds(rewinds: readonly Rewind[]): void {
    for (const rewind of rewinds) for (const listener of this.rewindListeners) listener(rewind);
  }

  /** This node's tombstone horizons for the tables a peer holds: sent with a full resync. */
  horizonsFor(peer: string): ResyncHorizon[] {
    const { catalog, merger } = this.parts;
    return catalog.list().flatMap((table): ResyncHorizon[] => {
      if (!policyIncludes(table.replicate, peer)) return [];
      const horizon = merger.horizonOf(table.name);
      return horizon === undefined ? [] : [[table.name, table.incarnation, horizon.hlc, horizon.node]];
    });
  }

  /**
   * Applies a batch of a peer's changes: writes merge by last-writer-wins inside
   * group commit; table creations and drops run in a transaction of their own. The
   * checkpoint moves in the same transaction as the changes it covers, so it is
   * never saved ahead of them. A change stamped too far ahead of this node's clock
   * stops the batch there: what came before is applied, the rest waits.
   */
  async apply(batch: RemoteBatch): Promise<ApplyResult> {
    const { batcher, clock, now } = this.parts;
    const result: ApplyResult = { checkpoint: -1, applied: 0, stale: 0, refused: new Map(), created: [], dropped: [] };
    const { changes } = batch;
    let index = 0;
    for (;;) {
      const limit = (now() + clock.maxDriftMs) * HLC_PER_MS;
      const next = changes[index];
      if (next !== undefined && this.isSchemaStep(next, batch, result)) {
        // A definition stamped too far ahead waits like any change (its clock must not be observed).
        const stamp = Math.max(next.hlc, batch.defs.get(next.table)?.hlc ?? 0);
        if (stamp > limit) {
          result.deferred = { seq: next.seq, aheadMs: Math.ceil(stamp / HLC_PER_MS - now()) };
          if (next.seq - 1 > result.checkpoint) {
            const checkpoint = next.seq - 1;
            await batcher.write(() => batch.checkpoint(checkpoint));
            result.checkpoint = checkpoint;
          }
          return result;
        }
        // Each step waits for the one before to commit, so a later checkpoint can never
        // land while an earlier part of the batch was rolled back.
        const rewinds: Rewind[] = [];
        this.parts.exclusive(() => {
          if (next.op === 'drop') this.applyDrop(next, batch.from, result, rewinds);
          else this.ensureTable(next, batch, result);
          if (next.op === 'create' || next.op === 'drop') batch.checkpoint(next.seq);
          this.parts.saveClock();
        });
        if (next.op === 'create' || next.op === 'drop') {
          result.checkpoint = next.seq;
          index++;
        }
        this.parts.announceLog();
        this.announceRewinds(rewinds);
        continue;
      }
      const applied: AppliedWrite[] = [];
      let checkpoint = -1;
      const merge = () => {
        while (index < changes.length) {
          const write = changes[index]!;
          if (write.hlc > limit) {
            result.deferred = { seq: write.seq, aheadMs: Math.ceil(write.hlc / HLC_PER_MS - now()) };
            break;
          }
          if (this.isSchemaStep(write, batch, result)) break;
          this.mergeOne(write as RemoteWrite, batch, result, applied);
          index++;
        }
        if (result.deferred !== undefined) checkpoint = result.deferred.seq - 1;
        else if (index === changes.length) checkpoint = batch.to;
        else if (index > 0) checkpoint = changes[index - 1]!.seq;
        if (checkpoint > result.checkpoint) batch.checkpoint(checkpoint);
        this.parts.saveClock();
      };
      // A batch of no changes only moves the checkpoint past what the peer did not send (this node's
      // own changes, come back): it is saved with the next commit and answered now, since nothing it
      // covers can be lost. Lost itself (a rollback, a crash), the peer sends the same again. Waiting
      // for a commit of its own made every round trip with a busy peer a commit.
      if (changes.length === 0) batcher.writeLater(merge).catch(() => undefined);
      else await batcher.write(merge);
      if (checkpoint > result.checkpoint) result.checkpoint = checkpoint;
      this.parts.announceWrites(applied);
      if (index === changes.length || result.deferred !== undefined) return result;
    }
  }

  /**
   * The end of a full resync, on the node that was away. The peer collected
   * tombstones up to `horizon` without waiting for this node, and has just sent
   * every row it holds. A live record here that the peer did not send, that is
   * older than the horizon, and that the peer is known to have held once (it came
   * from the peer, the peer wrote it, or it is in the part of this node's log the
   * peer had read: `seenByPeer`) was deleted there and its tombstone is gone. It is
   * deleted here too, with the horizon as the delete's version, so the delete also
   * reaches this node's other peers instead of the record coming back.
   *
   * Records the peer never saw (written here, or reaching here, after the peer last
   * read this node's log) are kept: they are new to it, not deleted by it. Only the
   * same incarnation is touched: another table of the name is not the peer's.
   */
  purgeBelowHorizon(
    table: string,
    incarnation: string,
    horizon: Version,
    received: ReadonlySet<string>,
    from: string,
    seenByPeer: number,
  ): Promise<number> {
    const { catalog, cache, changeLog, merger, db } = this.parts;
    const handle = catalog.find(table);
    if (handle === undefined || handle.info.incarnation !== incarnation) return Promise.resolve(0);
    return this.parts.batcher.write(() => {
      const rows = db
        .prepare<[number], { k: RecordKey; hlc: number; node: string; seq: number; src: string | null }>(
          `SELECT k, hlc, node, seq, src FROM ${tableSqlName(table)} WHERE del = 0 AND hlc <= ?`,
        )
        .all(horizon.hlc);
      let purged = 0;
      for (const row of rows) {
        if (received.has(keyId(row.k)) || compareVersions(row, horizon) >= 0) continue;
        const peerHadIt = row.seq <= seenByPeer || row.node === from || row.src === from;
        if (!peerHadIt) continue;
        cache.forget(handle.records, row.k);
        handle.putTombstone.run(row.k, horizon.hlc, horizon.node, changeLog.next(), from);
        purged++;
      }
      merger.raiseHorizon(table, horizon);
      return purged;
    });
  }

  /**
   * One pass of tombstone collection and log compaction over `entries` (see
   * mesh/tombstone-gc.ts for when): a tombstone older than `cutoff` that no peer
   * holding its table still waits for goes (the row is its own log entry) and
   * raises its table's horizon; a creation or drop entry superseded by a later one
   * of its table goes too. A row written again is its own newest entry, so the log
   * stays as long as the tables without compacting rows.
   */
  collect(
    entries: readonly LogEntry[],
    cutoff: number,
    waiting: (policy: ReplicationPolicy, seq: number) => boolean,
  ): Promise<{ collected: number; compacted: number }> {
    const { catalog, changeLog, merger, incarnations } = this.parts;
    return this.parts.batcher.write(() => {
      let collected = 0;
      let compacted = 0;
      for (const entry of entries) {
        // A live row is never collected, and a row is its own log entry, so it has no superseded one
        // to drop: most of a sweep is these, and each would cost a lookup of its row.
        if (entry.op === OP_PUT) continue;
        if (entry.op === OP_DELETE) {
          const handle = catalog.find(entry.tbl);
          const row = handle?.version.get(entry.k);
          // Written again since the entries were read: the row's new seq comes up in a later pass.
          if (handle === undefined || row === undefined || row.hlc !== entry.hlc || row.node !== entry.node) continue;
          if (row.del !== 1 || entry.hlc >= cutoff || waiting(handle.info.replicate, entry.seq)) continue;
          handle.remove.run(entry.k);
          merger.raiseHorizon(entry.tbl, { hlc: entry.hlc, node: entry.node });
          collected++;
        } else if (entry.op === OP_CREATE) {
          if (this.definition(entry.tbl)?.incarnation !== incarnationOf(entry)) {
            changeLog.remove.run(entry.seq);
            compacted++;
          }
        } else if (entry.op === OP_DROP) {
          const drop = incarnations.dropOf(entry.tbl, String(entry.k));
          if (drop === undefined || drop.hlc !== entry.hlc || drop.node !== entry.node) {
            changeLog.remove.run(entry.seq);
            compacted++;
          }
        }
      }
      // The newest change may be among those removed: its seq must not be handed out again.
      if (collected + compacted > 0) changeLog.keepHead();
      return { collected, compacted };
    });
  }

  private isSchemaStep(change: RemoteWrite | RemoteSchemaChange, batch: RemoteBatch, result: ApplyResult): boolean {
    if (change.op === 'create' || change.op === 'drop') return true;
    // A write for a table this node does not have yet: its definition came with the batch.
    return !this.parts.catalog.has(change.table) && !result.refused.has(change.table) && batch.defs.has(change.table);
  }

  private mergeOne(write: RemoteWrite, batch: RemoteBatch, result: ApplyResult, applied: AppliedWrite[]): void {
    if (result.refused.has(write.table)) return;
    const { catalog, merger, node } = this.parts;
    const handle = catalog.find(write.table);
    const definition = batch.defs.get(write.table);
    if (handle === undefined || definition === undefined) {
      refuse(result, write.table, definition?.incarnation ?? '', 'no definition of it came with its records');
      return;
    }
    if (handle.info.incarnation !== definition.incarnation) {
      this.otherIncarnation(handle.info, definition, batch.from, write.seq, result);
      return;
    }
    if (write.op === 'put' && (write.value === null || !isEncodedMap(write.value))) {
      refuse(result, write.table, definition.incarnation, 'a record was not a MessagePack map');
      return;
    }
    const outcome = merger.merge(write, batch.from, batch.observer, batch.hadIt?.(write) ?? false);
    if (outcome === 'applied') {
      result.applied++;
      applied.push({ write, seq: merger.lastLogged });
    } else if (outcome === 'stale') result.stale++;
    else if (outcome === 'refused') {
      const { replicate } = handle.info;
      refuse(result, write.table, definition.incarnation, `its policy here (${replicate}) does not include ${node}`);
    }
  }

  /** A creation, or the first write of a table this node lacks: creates it unless it must not; inside a transaction. */
  private ensureTable(change: RemoteWrite | RemoteSchemaChange, batch: RemoteBatch, result: ApplyResult): void {
    const { catalog, changeLog, clock, incarnations, node } = this.parts;
    const name = change.table;
    const definition = batch.defs.get(name);
    if (definition === undefined) {
      refuse(result, name, '', 'no definition of it came with its records');
      return;
    }
    // The creation of an incarnation the peer no longer holds: its drop follows.
    if (change.op === 'create' && incarnationOf(change) !== definition.incarnation) return;
    if (!policyIncludes(definition.replicate, node)) {
      refuse(result, name, definition.incarnation, `its policy (${definition.replicate}) does not include ${node}`);
      return;
    }
    const local = catalog.find(name);
    if (local !== undefined) {
      if (local.info.incarnation !== definition.incarnation) {
        this.otherIncarnation(local.info, definition, batch.from, change.seq, result);
      }
      return;
    }
    if (incarnations.isDropped(name, definition.incarnation, definition)) {
      refuse(result, name, definition.incarnation, 'it was dropped after it was created');
      return;
    }
    clock.observe(definition.hlc);
    const { hlc, node: origin, ...info } = definition;
    catalog.create(info, hlc, origin);
    changeLog.appendSchema(name, '', hlc, origin, OP_CREATE, batch.from);
    result.created.push(definition);
  }

  /**
   * A peer's change to another table of the same name: refused, and, unless the
   * other table is not meant for this node or known dropped, kept as a clash.
   * Inside a transaction.
   */
  private otherIncarnation(
    local: TableInfo,
    definition: TableDefinition,
    peer: string,
    seq: number,
    result: ApplyResult,
  ): void {
    const { node, now, catalog, incarnations } = this.parts;
    if (!policyIncludes(definition.replicate, node)) {
      refuse(
        result,
        local.name,
        definition.incarnation,
        `its policy (${definition.replicate}) does not include ${node}`,
      );
      return;
    }
    // Its drop is known here and on its way to the peer: no clash to resolve.
    if (incarnations.isDropped(local.name, definition.incarnation, definition)) {
      refuse(result, local.name, definition.incarnation, 'it was dropped after it was created');
      return;
    }
    incarnations.noteClash({
      table: local.name,
      incarnation: definition.incarnation,
      node: definition.node,
      owner: definition.owner,
      replicate: definition.replicate,
      peer,
      seq,
      since: now(),
    });
    const here: ClashSide = {
      incarnation: local.incarnation,
      node: catalog.versionOf(local.name)!.node,
      owner: local.owner,
      replicate: local.replicate,
    };
    const there = {
      incarnation: definition.incarnation,
      node: definition.node,
      owner: definition.owner,
      replicate: definition.replicate,
      peer,
    };
    result.refused.set(local.name, {
      incarnation: definition.incarnation,
      reason: `it is another table of that name: ${peer} sent ${there.incarnation} (created on ${there.node}, owner ${there.owner}, ${there.replicate}), this node holds ${here.incarnation} (created on ${here.node}, owner ${here.owner}, ${here.replicate}); neither is merged into the other`,
      clash: { table: local.name, here, there },
    });
  }

  /**
   * A peer dropped a table: the same incarnation here goes, unless its policy leaves
   * out the node that sent or made the drop; another table of the name stays. The
   * drop is kept (and relayed) either way. Inside a transaction.
   */
  private applyDrop(
    change: Extract<RemoteSchemaChange, { op: 'drop' }>,
    from: string,
    result: ApplyResult,
    rewinds: Rewind[],
  ): void {
    const { catalog, changeLog, clock, merger, incarnations } = this.parts;
    const { table, incarnation } = change;
    clock.observe(change.hlc);
    if (incarnations.dropOf(table, incarnation) !== undefined) return;
    const drop: TableDrop = {
      table,
      incarnation,
      hlc: change.hlc,
      node: change.node,
      replicate: change.replicate,
      by: change.by,
    };
    const local = catalog.find(table)?.info;
    if (local !== undefined && incarnation !== '' && local.incarnation === incarnation) {
      if (!policyIncludes(local.replicate, from) || !policyIncludes(local.replicate, change.node)) {
        const reason = `a drop made on ${change.node} and sent by ${from}, which its policy (${local.replicate}) leaves out`;
        refuse(result, table, incarnation, reason);
        return;
      }
      catalog.drop(table);
      merger.forgetTable(table);
      result.dropped.push(drop);
      rewinds.push(...incarnations.resolve(table));
    }
    incarnations.forget(table, incarnation);
    incarnations.recordDrop(drop);
    changeLog.appendSchema(table, incarnation, change.hlc, change.node, OP_DROP, from);
  }
}

function refuse(result: ApplyResult, table: string, incarnation: string, reason: string): void {
  result.refused.set(table, { incarnation, reason });
}
