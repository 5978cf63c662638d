import { OP_DELETE } from '../store/change-log.js';
import type { Store } from '../store/store.js';
import { compareVersions, type Version } from '../store/version.js';
import { keyId } from './inbound.js';

/**
 * The end of a full resync. The peer collected tombstones up to `horizon` while
 * this node was away too long to count; it has just sent every record it holds.
 * A live record here, older than the horizon, that the peer did not send was
 * deleted there and its tombstone is gone: delete it here too, with the horizon
 * as the delete's version, so the delete also reaches this node's other peers
 * instead of the record coming back. Newer records were written since and stay.
 */
export async function purgeBelowHorizon(
  store: Store,
  table: string,
  horizon: Version,
  received: ReadonlySet<string>,
  from: string,
): Promise<number> {
  if (!store.catalog.has(table)) return 0;
  const handle = store.catalog.handle(table);
  return store.transact(() => {
    let purged = 0;
    for (const row of store.liveRowsUpTo(table, horizon.hlc)) {
      if (received.has(keyId(row.k)) || compareVersions(row, horizon) >= 0) continue;
      handle.putTombstone.run(row.k, horizon.hlc, horizon.node);
      store.changeLog.append.run(table, row.k, horizon.hlc, horizon.node, OP_DELETE, from);
      purged++;
    }
    store.raiseHorizon(table, horizon);
    return purged;
  });
}
