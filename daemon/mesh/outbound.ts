import type { LogEntry } from '../store/change-log.js';
import { OP_CREATE, OP_DELETE, OP_DROP, OP_PUT } from '../store/change-log.js';
import { incarnationOf } from '../store/incarnations.js';
import type { Replica, TableDefinition } from '../store/replica.js';
import { policyIncludes } from '../store/replication-policy.js';
import type { PeerChannel } from './peer-channel.js';
import { type ChangesMessage, OP_WIRE, type WireChange } from './wire.js';

/** Log entries read per batch, and the record bytes after which a batch is cut (about 1 MiB in flight per batch). */
const BATCH_ENTRIES = 1024;
const BATCH_BYTES = 1 << 20;
/** Batches sent and not yet acknowledged; more waits for an ack (flow control). */
const WINDOW = 8;

export interface OutboundOptions {
  replica: Replica;
  channel: PeerChannel;
  peer: string;
  /** The seq the peer has applied up to (its hello's checkpoint), or 0 for a full resync. */
  start: number;
  /** Send every change, even those that came from the peer: it checks its copy against this one (a resync with horizons). */
  sendEverything: boolean;
  /** Called with each new acknowledged seq, to save it (tombstone collection waits for it). */
  acked(seq: number): void;
}

/**
 * The sending half of a link: reads this node's change log after the peer's
 * checkpoint, keeps what the peer should have (its table policy includes the peer,
 * it did not come from the peer, it is still the key's latest version) and sends
 * it in batches, a few at a time until acknowledged. A change superseded by a
 * later write of the same key is skipped: the later entry carries the key's state.
 * Every batch carries the definition of each table it creates or writes, so the
 * peer knows which incarnation each change belongs to.
 */
export class Outbound {
  private sent: number;
  private ackedSeq: number;
  private readonly inflight: number[] = [];
  private readonly batchDefinitions = new Map<string, TableDefinition | undefined>();
  private caughtUpSent = false;
  /** The `to` of the first batch that reached the end of the log: a resync is done once it is acknowledged. */
  caughtUpAt: number | undefined;
  private pumping = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly unsubscribeDrain: () => void;

  constructor(private readonly options: OutboundOptions) {
    this.sent = options.start;
    this.ackedSeq = options.start;
    this.unsubscribeDrain = options.channel.onDrain(() => this.pump());
  }

  get acked(): number {
    return this.ackedSeq;
  }

  /** Sends what it can now; called when the log grows, on acks and when the socket drains. */
  pump(): void {
    if (this.stopped || this.pumping || this.retry !== undefined) return;
    const { channel } = this.options;
    this.pumping = true;
    try {
      while (this.inflight.length < WINDOW && channel.isOpen && !channel.congested) {
        const entries = this.readLog();
        if (entries.length === 0) {
          if (!this.caughtUpSent)
            this.send({ after: this.sent, to: this.sent, caught_up: true, defs: [], changes: [] });
          break;
        }
        this.send(this.build(entries));
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * The next entries to send: the committed ones, except in a full resync until it has caught up. The
   * peer ends such a resync by purging what it was not sent below this node's horizons, and an entry
   * whose key was written again is skipped for the newer version's own entry: held in the put journal,
   * that one is past the last commit, so the resync could end without it and the peer take the key as
   * deleted. A resync's reads commit first (Replica.changesAfter), as every read of the log once did.
   */
  private readLog(): LogEntry[] {
    const { replica, sendEverything } = this.options;
    return sendEverything && !this.caughtUpSent
      ? replica.changesAfter(this.sent, BATCH_ENTRIES)
      : replica.committedChangesAfter(this.sent, BATCH_ENTRIES);
  }

  /** The peer applied and committed up to `seq` (after a rewind, again). */
  ack(seq: number): void {
    while (this.inflight.length > 0 && this.inflight[0]! <= seq) this.inflight.shift();
    if (seq > this.ackedSeq) {
      this.ackedSeq = seq;
      this.options.acked(seq);
    }
    this.pump();
  }

  /**
   * The peer stopped after `seq` (a change stamped too far ahead of its clock, or
   * a clash resolved there: it wants a table's changes it refused before), and
   * dropped everything sent after it: send again from there once it can take it.
   * The peer knows where it stands, even below what it acknowledged before.
   */
  defer(seq: number, retryMs: number): void {
    this.sent = seq;
    this.inflight.length = 0;
    // The batch that told the peer it had caught up may have been dropped too.
    this.caughtUpSent = false;
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.pump();
    }, retryMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.unsubscribeDrain();
  }

  private send(message: ChangesMessage): void {
    this.options.channel.notify('changes', message);
    this.inflight.push(message.to);
    this.sent = message.to;
    if (message.caught_up) {
      this.caughtUpSent = true;
      this.caughtUpAt ??= message.to;
    }
  }

  private build(entries: LogEntry[]): ChangesMessage {
    this.batchDefinitions.clear();
    const after = this.sent;
    const defs: TableDefinition[] = [];
    const changes: WireChange[] = [];
    let bytes = 0;
    let to = after;
    let cut = false;
    for (const entry of entries) {
      to = entry.seq;
      const change = this.changeFor(entry, defs);
      if (change !== undefined) {
        changes.push(change);
        const payload = change[6];
        if (payload instanceof Uint8Array) bytes += payload.length;
      }
      if (bytes >= BATCH_BYTES) {
        cut = true;
        break;
      }
    }
    return { after, to, caught_up: !cut && entries.length < BATCH_ENTRIES, defs, changes };
  }

  /** The wire form of an entry, or undefined when the peer should not get it. */
  private changeFor(entry: LogEntry, defs: TableDefinition[]): WireChange | undefined {
    const { replica, peer, sendEverything } = this.options;
    // Echo suppression: the peer made this change or sent it here, so it has it (or newer).
    if (!sendEverything && (entry.node === peer || entry.src === peer)) return undefined;
    if (entry.op === OP_PUT || entry.op === OP_DELETE) {
      const definition = this.definitionFor(entry.tbl, defs);
      if (definition === undefined) return undefined;
      const row = replica.rowState(entry.tbl, entry.k);
      if (row === undefined || row.hlc !== entry.hlc || row.node !== entry.node) return undefined;
      const change: WireChange =
        row.del === 1
          ? [entry.seq, entry.tbl, entry.k, entry.hlc, entry.node, OP_WIRE.delete, null]
          : [entry.seq, entry.tbl, entry.k, entry.hlc, entry.node, OP_WIRE.put, row.v];
      // In a resync the peer learns which of these it gave this node: it had those once.
      if (sendEverything && entry.src === peer) change.push(1);
      return change;
    }
    if (entry.op === OP_CREATE) {
      const current = this.definitionFor(entry.tbl, defs);
      if (current === undefined || current.incarnation !== incarnationOf(entry)) return undefined;
      return [entry.seq, entry.tbl, '', entry.hlc, entry.node, OP_WIRE.create, null];
    }
    if (entry.op === OP_DROP) {
      const incarnation = String(entry.k);
      const drop = replica.dropOf(entry.tbl, incarnation);
      if (drop === undefined || drop.hlc !== entry.hlc || drop.node !== entry.node) return undefined;
      if (!policyIncludes(drop.replicate, peer)) return undefined;
      const payload = { replicate: drop.replicate, by: drop.by };
      return [entry.seq, entry.tbl, incarnation, entry.hlc, entry.node, OP_WIRE.drop, payload];
    }
    return undefined;
  }

  /** The table's definition when the peer should have the table; added to the batch the first time. */
  private definitionFor(table: string, defs: TableDefinition[]): TableDefinition | undefined {
    // One lookup per table per batch, not per change.
    if (this.batchDefinitions.has(table)) return this.batchDefinitions.get(table);
    let definition = this.options.replica.definition(table);
    if (definition !== undefined && !policyIncludes(definition.replicate, this.options.peer)) definition = undefined;
    this.batchDefinitions.set(table, definition);
    if (definition !== undefined) defs.push(definition);
    return definition;
  }
}
