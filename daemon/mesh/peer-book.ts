import type { Database, Statement } from 'better-sqlite3';
import type { Store } from '../store/store.js';

/** What this node remembers about a peer, from `_peers`. */
export interface PeerRecord {
  node: string;
  /** Where to redial it; null when it only ever dialled in. */
  address: string | null;
  /** Whether this node keeps a link to it (it was connected with cluster_connect). */
  dial: boolean;
  /** cluster_disconnect: its links are refused until it is connected again. */
  blocked: boolean;
  /** How far into this node's change log the peer has confirmed applying. */
  acked: number;
  /** How far into the peer's change log this node has applied (saved with the changes). */
  checkpoint: number;
  /** The furthest this node ever applied of the peer's log: every version up to there, it once had. */
  seen: number;
  /** When it was last heard from (ms, this node's clock). */
  lastSeen: number;
  /** This node's clock up to which both sides had exchanged their writes. */
  syncedHlc: number;
}

interface Row {
  node: string;
  address: string | null;
  dial: number;
  blocked: number;
  acked: number;
  checkpoint: number;
  seen: number;
  last_seen: number;
  synced_hlc: number;
}

/**
 * The peers table: addresses to redial, and the two checkpoints per peer. The
 * inbound checkpoint is only ever written inside the transaction that applies
 * the changes it covers (see checkpointStatement); everything else here is
 * bookkeeping that may lag without harm (a lagging ack means resending changes
 * the peer ignores, never losing one).
 */
export class PeerBook {
  private readonly peers = new Map<string, PeerRecord>();
  private readonly upsert: Statement<[string, string | null, number, number, number, number, number]>;
  private readonly setCheckpoint: Statement<[number, number, string]>;

  private readonly readCheckpoint: Statement<[string], number>;
  private readonly remove: Statement<[string]>;

  constructor(
    db: Database,
    private readonly store: Store,
  ) {
    for (const row of db.prepare('SELECT * FROM _peers').all() as Row[]) {
      this.peers.set(row.node, {
        node: row.node,
        address: row.address,
        dial: row.dial === 1,
        blocked: row.blocked === 1,
        acked: row.acked,
        checkpoint: row.checkpoint,
        seen: row.seen,
        lastSeen: row.last_seen,
        syncedHlc: row.synced_hlc,
      });
    }
    // Never the checkpoint: only checkpoint(), inside the applying transaction, writes it.
    this.upsert = db.prepare(
      `INSERT INTO _peers (node, address, dial, blocked, acked, last_seen, synced_hlc) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (node) DO UPDATE SET address = excluded.address, dial = excluded.dial, blocked = excluded.blocked,
         acked = excluded.acked, last_seen = excluded.last_seen, synced_hlc = excluded.synced_hlc`,
    );
    this.setCheckpoint = db.prepare('UPDATE _peers SET checkpoint = ?, seen = max(seen, ?) WHERE node = ?');
    this.readCheckpoint = db.prepare<[string], number>('SELECT checkpoint FROM _peers WHERE node = ?').pluck();
    this.remove = db.prepare('DELETE FROM _peers WHERE node = ?');
  }

  get(node: string): PeerRecord | undefined {
    return this.peers.get(node);
  }

  all(): PeerRecord[] {
    return [...this.peers.values()].sort((a, b) => (a.node < b.node ? -1 : 1));
  }

  /** Creates or changes a peer's record; saved in the current group commit. */
  update(node: string, change: Partial<Omit<PeerRecord, 'node' | 'checkpoint' | 'seen'>>): Promise<void> {
    return this.save(node, change, (work) => this.store.transact(work));
  }

  private save(
    node: string,
    change: Partial<Omit<PeerRecord, 'node' | 'checkpoint' | 'seen'>>,
    transact: (work: () => void) => Promise<void>,
  ): Promise<void> {
    const current = this.peers.get(node) ?? {
      node,
      address: null,
      dial: false,
      blocked: false,
      acked: 0,
      checkpoint: 0,
      seen: 0,
      lastSeen: this.store.now(),
      syncedHlc: 0,
    };
    const next = { ...current, ...change };
    this.peers.set(node, next);
    return transact(() => {
      this.upsert.run(
        next.node,
        next.address,
        next.dial ? 1 : 0,
        next.blocked ? 1 : 0,
        next.acked,
        next.lastSeen,
        next.syncedHlc,
      );
    });
  }

  /** Forgets a peer altogether (cluster_forget): its next link is a first one, with a full resync. */
  forget(node: string): Promise<void> {
    this.peers.delete(node);
    return this.store.transact(() => {
      this.remove.run(node);
    });
  }

  /**
   * Like update, for bookkeeping that may lag or fail without harm (the group commit
   * it joined was rolled back for another writer's sake): the next heartbeat or ack
   * writes it again. It waits for the next commit rather than forcing one: an ack
   * comes with every batch a peer applies.
   */
  note(node: string, change: Partial<Omit<PeerRecord, 'node' | 'checkpoint' | 'seen'>>): void {
    this.save(node, change, (work) => this.store.transactLater(work)).catch(() => undefined);
  }

  /**
   * Moves the inbound checkpoint. Called by the store inside the transaction that
   * applied the changes up to `seq`, so it can never be saved ahead of them; the
   * in-memory copy is updated at the same time (a rollback fails the whole apply,
   * which closes the link, and the next link reads the checkpoint back from disk).
   */
  checkpoint(node: string, seq: number): void {
    this.setCheckpoint.run(seq, seq, node);
    const peer = this.peers.get(node);
    if (peer !== undefined) {
      peer.checkpoint = seq;
      peer.seen = Math.max(peer.seen, seq);
    }
  }

  /** Reloads a peer's checkpoint from disk, after an apply failed and was rolled back. */
  reloadCheckpoint(node: string): number {
    const seq = this.readCheckpoint.get(node);
    const peer = this.peers.get(node);
    if (peer !== undefined) peer.checkpoint = seq ?? 0;
    return seq ?? 0;
  }
}
