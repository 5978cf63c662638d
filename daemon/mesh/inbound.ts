import type { Logger } from '../logger.js';
import { keyId } from '../store/key-id.js';
import type { MergeObserver, RemoteWrite } from '../store/merge.js';
import type { ApplyResult } from '../store/replica.js';
import type { Store } from '../store/store.js';
import type { Version } from '../store/version.js';
import type { MeshEvents } from './mesh-events.js';
import type { PeerBook } from './peer-book.js';
import type { PeerChannel } from './peer-channel.js';
import type { ChangeBatch } from './wire.js';

export interface ResyncInfo {
  /** The peer's tombstone horizons, per table, with the incarnation they belong to. */
  horizons: Map<string, { incarnation: string; horizon: Version }>;
  /** How far the peer ever got into this node's log: versions up to there, it had once. */
  seenByPeer: number;
  /** How far this node ever got into the peer's log, before this resync. */
  seenHere: number;
}

export interface InboundOptions {
  store: Store;
  book: PeerBook;
  channel: PeerChannel;
  peer: string;
  log: Logger;
  events: MeshEvents;
  /** The seq of the peer's log to continue after: this node's checkpoint, or 0 for a resync. */
  start: number;
  /** This node's clock up to which the two had exchanged their writes before this link. */
  syncedHlc: number;
  /** Set when the peer sends a full resync (it has not heard from this node for too long). */
  resync: ResyncInfo | undefined;
  /** Tables dropped here by the peer's changes (their grants go too). */
  dropped(table: string): void;
  /** The apply failed (a full disk): the link must close, the checkpoint on disk is where to resume. */
  failed(reason: string): void;
}

/** How many conflicting keys are named in the log and the event. */
const EXAMPLES = 10;

/**
 * The receiving half of a link: applies the peer's batches one after the other
 * (each committed with its checkpoint before the next starts), acknowledges each
 * after its commit, and defers when a change is stamped too far ahead. While it
 * catches up after a (re)connect it notes keys both sides wrote since they were
 * last in sync: merged automatically, but reported, as Mnesia reports an
 * inconsistent_database after a partition. Tables it refuses (another incarnation
 * of a name held here, a policy that leaves this node out) are reported once per
 * link; creations and drops it applies are audited in the log.
 */
export class Inbound {
  private expected: number;
  private readonly queue: ChangeBatch[] = [];
  private busy = false;
  private closed = false;
  private caughtUpDone = false;
  private conflicts = 0;
  private readonly examples: string[] = [];
  /** Refusals reported on this link (table, incarnation, reason): each is logged once. */
  private readonly reported = new Set<string>();
  private deferredAt: number | undefined;
  private rewindAsked = false;
  /** A clash resolved here: read the peer's log again after this seq, once the batch being applied is done. */
  private rewindTo: number | undefined;
  /** During a resync: the keys the peer sent, per table, so the rest can be dropped. */
  private readonly received = new Map<string, Set<string>>();

  constructor(private readonly options: InboundOptions) {
    this.expected = options.start;
    const resync = options.resync;
    for (const table of resync?.horizons.keys() ?? []) this.received.set(table, new Set());
    if (resync !== undefined) {
      // A version this node held once and has no row for any more was deleted here and
      // its tombstone collected: it must not come back with the resync.
      const me = options.store.node;
      this.hadIt = (write) => write.seq <= resync.seenHere || write.node === me || write.yours === true;
    }
  }

  private readonly hadIt: ((write: RemoteWrite) => boolean) | undefined;

  /** The seq of the peer's log applied so far (committed). */
  get checkpoint(): number {
    return this.expected;
  }

  get caughtUp(): boolean {
    return this.caughtUpDone;
  }

  receive(batch: ChangeBatch): void {
    // After a defer, batches already on their way start past the checkpoint: drop them,
    // the peer sends them again from the checkpoint.
    if (this.closed) return;
    this.queue.push(batch);
    if (!this.busy) void this.drain();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  /**
   * Reads the peer's log again after `seq`: a clash was resolved here, and the
   * changes refused for the other table of its name are wanted now. Merging them
   * again is harmless for everything else (an older or equal version changes nothing).
   */
  rewind(seq: number): void {
    if (this.closed) return;
    this.rewindTo = Math.min(this.rewindTo ?? seq, seq);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while ((this.queue.length > 0 || this.rewindTo !== undefined) && !this.closed) {
        if (this.rewindTo !== undefined) {
          await this.goBack(this.rewindTo);
          continue;
        }
        const batch = this.queue.shift()!;
        if (batch.after !== this.expected) {
          this.outOfOrder();
          continue;
        }
        this.rewindAsked = false;
        await this.apply(batch);
      }
    } catch (error) {
      this.closed = true;
      this.expected = this.options.book.reloadCheckpoint(this.options.peer);
      this.options.failed(`changes from ${this.options.peer} could not be applied: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** Moves the checkpoint back to `seq` and asks the peer to send again from there. */
  private async goBack(seq: number): Promise<void> {
    const { store, book, channel, peer, log } = this.options;
    this.rewindTo = undefined;
    if (seq >= this.expected) return;
    await store.transact(() => book.checkpoint(peer, seq));
    this.expected = seq;
    this.queue.length = 0;
    this.deferredAt = undefined;
    // Batches already on their way start past the new checkpoint: dropped without asking again.
    this.rewindAsked = true;
    log.info(`mesh: reading the log of ${peer} again after seq ${seq}, for a table no longer in a clash here`);
    channel.notify('defer', { seq, retry_ms: 0, reason: 'a clash was resolved' });
  }

  private async apply(batch: ChangeBatch): Promise<void> {
    const { store, book, channel, peer } = this.options;
    let result: ApplyResult;
    try {
      result = await store.replica.apply({
        from: peer,
        to: batch.to,
        changes: batch.changes,
        defs: batch.defs,
        checkpoint: (seq) => book.checkpoint(peer, seq),
        observer: this.observer,
        hadIt: this.hadIt,
      });
    } catch (error) {
      this.closed = true;
      this.expected = book.reloadCheckpoint(peer);
      this.options.failed(`applying changes from ${peer} failed: ${(error as Error).message}`);
      return;
    }
    this.expected = result.checkpoint;
    this.report(result);
    if (result.deferred !== undefined) {
      channel.notify('ack', { seq: result.checkpoint });
      this.deferred(result.deferred.seq, result.deferred.aheadMs);
      return;
    }
    this.deferredAt = undefined;
    // The ack of the batch that ends a resync comes after the purge, so a sender that sees
    // it knows the copy is complete here.
    if (batch.caughtUp && !this.caughtUpDone) await this.finishCatchUp();
    channel.notify('ack', { seq: result.checkpoint });
  }

  /**
   * A batch that does not start where this node stands. After a defer that is expected
   * (batches already on their way); otherwise the sender is told where to resume, so a
   * lost or reordered batch can never stall the link.
   */
  private outOfOrder(): void {
    if (this.deferredAt !== undefined || this.rewindAsked) return;
    this.rewindAsked = true;
    this.options.channel.notify('defer', { seq: this.expected, retry_ms: 0, reason: 'out of order' });
  }

  private deferred(seq: number, aheadMs: number): void {
    const { store, channel, peer, log, events } = this.options;
    const drift = store.replica.maxDriftMs;
    // Ask again once the change is within the bound; check at least every 5 s in case clocks move.
    const retry = Math.min(Math.max(aheadMs - drift + 50, 50), 5000);
    const reason = `a change from ${peer} is stamped ${(aheadMs / 1000).toFixed(1)} s ahead of this node's clock (at most ${drift / 1000} s is accepted)`;
    channel.notify('defer', { seq: seq - 1, retry_ms: retry, reason });
    if (this.deferredAt !== seq) {
      this.deferredAt = seq;
      log.warn(`mesh: ${reason}; it waits until this node's clock catches up`);
      events.emit({ type: 'clock_skew', peer, message: reason, data: { ahead_ms: aheadMs } });
    }
  }

  private readonly observer: MergeObserver = (write, before, outcome) => {
    const tracked = this.received.get(write.table);
    if (tracked !== undefined) tracked.add(keyId(write.key));
    if (this.caughtUpDone || before === undefined || this.options.syncedHlc === 0) return;
    if (outcome !== 'applied' && outcome !== 'older') return;
    // Both sides wrote the key since they were last in sync, and the versions differ:
    // one of the two writes was lost to last-writer-wins.
    const since = this.options.syncedHlc;
    if (before.hlc > since && write.hlc > since && before.node !== write.node) {
      this.conflicts++;
      if (this.examples.length < EXAMPLES) this.examples.push(`${write.table}:${String(write.key)}`);
    }
  };

  private report(result: ApplyResult): void {
    const { peer, log, events } = this.options;
    for (const [table, refusal] of result.refused) {
      const id = `${table}\u0000${refusal.incarnation}\u0000${refusal.reason}`;
      if (this.reported.has(id)) continue;
      this.reported.add(id);
      if (refusal.clash !== undefined) {
        const { here, there } = refusal.clash;
        const message = `table clash: ${table} here is ${here.incarnation} (created on ${here.node}, owner ${here.owner}); ${peer} sent ${there.incarnation} of the same name (created on ${there.node}, owner ${there.owner}); neither is merged or dropped: drop one of them to resolve it`;
        log.warn(`mesh: ${message}`);
        events.emit({ type: 'table_clash', peer, message, data: refusal.clash });
        continue;
      }
      const message = `changes to ${table} from ${peer} were refused: ${refusal.reason}`;
      log.warn(`mesh: ${message}`);
      events.emit({ type: 'refused', peer, message, data: { table, incarnation: refusal.incarnation } });
    }
    for (const table of result.created) {
      log.info(
        `mesh: audit: table ${table.name} (incarnation ${table.incarnation}, ${table.replicate}, owner ${table.owner}) created on ${table.node}, received from ${peer}`,
      );
    }
    for (const drop of result.dropped) {
      log.info(
        `mesh: audit: table ${drop.table} (incarnation ${drop.incarnation}) dropped on ${drop.node} by ${drop.by}, received from ${peer}: dropped here too`,
      );
      this.options.dropped(drop.table);
    }
  }

  private async finishCatchUp(): Promise<void> {
    this.caughtUpDone = true;
    const { peer, log, events, store, resync } = this.options;
    if (this.conflicts > 0) {
      const message = `the link with ${peer} is back and ${this.conflicts} key(s) had been written on both sides meanwhile; each was merged by last-writer-wins (newer hlc, then node name): ${this.examples.join(', ')}${this.conflicts > this.examples.length ? ', ...' : ''}`;
      log.warn(`mesh: inconsistent data merged: ${message}`);
      events.emit({ type: 'conflict', peer, message, data: { keys: this.conflicts, examples: [...this.examples] } });
    }
    if (resync !== undefined && resync.horizons.size > 0) {
      let purged = 0;
      for (const [table, { incarnation, horizon }] of resync.horizons) {
        const received = this.received.get(table) ?? new Set<string>();
        purged += await store.replica.purgeBelowHorizon(table, incarnation, horizon, received, peer, resync.seenByPeer);
      }
      this.received.clear();
      const message = `full resync from ${peer} done: ${purged} record(s) deleted there since this node last synced were deleted here too`;
      log.info(`mesh: ${message}`);
      events.emit({ type: 'resync', peer, message, data: { purged } });
    }
  }
}
