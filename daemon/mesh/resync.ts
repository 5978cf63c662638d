import { OP_DELETE } from '../store/change-log.js';
import type { Store } from '../store/store.js';
import { compareVersions, type Version } from '../store/version.js';
import { keyId } from './key-id.js';

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
 * read this node's log) are kept: they are new to it, not deleted by it.
 */
export async function purgeBelowHorizon(
  store: Store,
  table: string,
  horizon: Version,
  received: ReadonlySet<string>,
  from: string,
  seenByPeer: number,
): Promise<number> {
  if (!store.catalog.has(table)) return 0;
  const handle = store.catalog.handle(table);
  return store.transact(() => {
    const latest = store.changeLog.latestEntries(table);
    let purged = 0;
    for (const row of store.liveRowsUpTo(table, horizon.hlc)) {
      const id = keyId(row.k);
      if (received.has(id) || compareVersions(row, horizon) >= 0) continue;
      const entry = latest.get(id);
      if (entry === undefined || entry.hlc !== row.hlc || entry.node !== row.node) continue;
      const peerHadIt = entry.seq <= seenByPeer || entry.node === from || entry.src === from;
      if (!peerHadIt) continue;
      handle.putTombstone.run(row.k, horizon.hlc, horizon.node);
      store.changeLog.append.run(table, row.k, horizon.hlc, horizon.node, OP_DELETE, from);
      purged++;
    }
    store.raiseHorizon(table, horizon);
    return purged;
  });
}
