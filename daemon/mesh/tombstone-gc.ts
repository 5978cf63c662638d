import type { ReplicationPolicy } from '../../src/protocol/store-types.js';
import { HLC_PER_MS } from '../store/hlc.js';
import type { Replica } from '../store/replica.js';
import { policyIncludes } from '../store/replication-policy.js';
import type { PeerRecord } from './peer-book.js';

/** Log entries examined per pass, so a pass never blocks the daemon for long. */
const PASS_ENTRIES = 5000;

/**
 * Decides when tombstones are collected and the change log compacted, a slice of
 * the log per pass; the store does the removing (Replica.collect).
 *
 * A tombstone is collected (its row and its log entry removed) only when it is
 * older than the grace period AND every known peer that holds its table has
 * acknowledged it, so no replica can still bring the record back. A peer not
 * heard from for longer than the grace period no longer holds collection up; when
 * it comes back it gets a full resync (see Replica.purgeBelowHorizon) instead of
 * an incremental one. The newest collected version per table becomes its horizon:
 * a record at or below it, for a key with no row here, is refused as possibly
 * deleted.
 *
 * An entry superseded by a later write of its key is removed too: the later entry
 * carries the key's state to every peer, so the log stays about as long as the
 * tables.
 */
export class TombstoneCollector {
  private cursor = 0;

  constructor(
    private readonly replica: Replica,
    private readonly now: () => number,
    private readonly graceMs: number,
    /** The peers whose acknowledgements a tombstone waits for (linked, or heard from within the grace period). */
    private readonly peersHolding: () => PeerRecord[],
  ) {}

  /** One pass over the next slice of the log; `more` when the sweep has not reached the end of the log yet. */
  async pass(): Promise<{ collected: number; compacted: number; more: boolean }> {
    const entries = this.replica.committedChangesAfter(this.cursor, PASS_ENTRIES);
    const more = entries.length === PASS_ENTRIES;
    this.cursor = more ? entries[entries.length - 1]!.seq : 0;
    if (entries.length === 0) return { collected: 0, compacted: 0, more };
    const cutoff = (this.now() - this.graceMs) * HLC_PER_MS;
    const current = this.peersHolding();
    const waiting = (policy: ReplicationPolicy, seq: number) =>
      current.some((peer) => policyIncludes(policy, peer.node) && peer.acked < seq);
    return { ...(await this.replica.collect(entries, cutoff, waiting)), more };
  }
}
