import type { Database } from 'better-sqlite3';
import { CortexError } from '../src/protocol/errors.js';
import type { DaemonConfig } from './config.js';

/**
 * A node's name is part of its data: every write is stamped with it and peers
 * know the node by it. So it is saved with the data at first start, and a later
 * start uses it whatever starts the daemon (by hand, a unit, or a client on
 * demand, which knows no --node-name). A different name given for an existing
 * data directory is refused rather than taken: the same records would then carry
 * two node names, and peers would take the node for a new one.
 */
export function settleNodeName(db: Database, config: DaemonConfig, dataDir: string): string {
  const saved = db.prepare("SELECT value FROM _meta WHERE name = 'node_name'").pluck().get() as string | undefined;
  if (saved === undefined) {
    db.prepare("INSERT INTO _meta (name, value) VALUES ('node_name', ?)").run(config.nodeName);
    return config.nodeName;
  }
  if (config.nodeNameFrom !== undefined && config.nodeName !== saved) {
    throw new CortexError(
      'EINVAL',
      `The data in ${dataDir} belongs to node ${saved}, not ${config.nodeName} (${config.nodeNameFrom}): ` +
        `start without a node name, or give this node its own data directory (--home).`,
    );
  }
  return saved;
}
