import { OP_CREATE, OP_DELETE, OP_DROP, OP_PUT } from '../store/change-log.js';
import { HLC_PER_MS } from '../store/hlc.js';
import { policyIncludes } from '../store/replication-policy.js';
import type { Store } from '../store/store.js';
import type { PeerRecord } from './peer-book.js';

/** Log entries examined per pass, so a pass never blocks the daemon for long. */
const PASS_ENTRIES = 5000;

/**
 * Collects tombstones and compacts the change log, a slice of the log per pass.
 *
 * A tombstone is collected (its row and its log entry removed) only when it is
 * older than the grace period AND every known peer that holds its table has
 * acknowledged it, so no replica can still bring the record back. A peer not
 * heard from for longer than the grace period no longer holds collection up; when
 * it comes back it gets a full resync (see resync.ts) instead of an incremental
 * one. The newest collected version per table becomes its horizon: a record at or
 * below it, for a key with no row here, is refused as possibly deleted.
 *
 * An entry superseded by a later write of its key is removed too: the later entry
 * carries the key's state to every peer, so the log stays about as long as the
 * tables.
 */
export class TombstoneCollector {
  private cursor = 0;

  constructor(
    private readonly store: Store,
    private readonly graceMs: number,
    /** The peers whose acknowledgements a tombstone waits for (linked, or heard from within the grace period). */
    private readonly peersHolding: () => PeerRecord[],
  ) {}

  /** One pass over the next slice of the log; `more` when the sweep has not reached the end of the log yet. */
  async pass(): Promise<{ collected: number; compacted: number; more: boolean }> {
    const { store } = this;
    const entries = store.changesAfter(this.cursor, PASS_ENTRIES);
    const more = entries.length === PASS_ENTRIES;
    this.cursor = more ? entries[entries.length - 1]!.seq : 0;
    if (entries.length === 0) return { collected: 0, compacted: 0, more };
    const now = store.now();
    const cutoff = (now - this.graceMs) * HLC_PER_MS;
    const current = this.peersHolding();
    return store.transact(() => {
      let collected = 0;
      let compacted = 0;
      const remove = (seq: number) => {
        store.changeLog.remove.run(seq);
        compacted++;
      };
      for (const entry of entries) {
        if (entry.op === OP_PUT || entry.op === OP_DELETE) {
          if (!store.catalog.has(entry.tbl)) {
            remove(entry.seq);
            continue;
          }
          const handle = store.catalog.handle(entry.tbl);
          const row = handle.version.get(entry.k);
          if (row === undefined || row.hlc !== entry.hlc || row.node !== entry.node) {
            remove(entry.seq);
            continue;
          }
          if (row.del !== 1 || entry.hlc >= cutoff) continue;
          const { replicate } = handle.info;
          const waiting = current.some((peer) => policyIncludes(replicate, peer.node) && peer.acked < entry.seq);
          if (waiting) continue;
          handle.remove.run(entry.k);
          store.changeLog.remove.run(entry.seq);
          store.raiseHorizon(entry.tbl, { hlc: entry.hlc, node: entry.node });
          collected++;
        } else if (entry.op === OP_CREATE) {
          const definition = store.definition(entry.tbl);
          if (definition === undefined || definition.hlc !== entry.hlc || definition.node !== entry.node) {
            remove(entry.seq);
          }
        } else if (entry.op === OP_DROP) {
          const drop = store.dropOf(entry.tbl);
          if (drop === undefined || drop.hlc !== entry.hlc || drop.node !== entry.node) remove(entry.seq);
        }
      }
      return { collected, compacted, more };
    });
  }
}
