import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { CortexError } from '../src/protocol/errors.js';
import type { DaemonConfig } from './config.js';

/**
 * A node's name is part of its data: every write is stamped with it and peers
 * know the node by it. So it is saved with the data at first start, and a later
 * start uses it whatever starts the daemon (by hand, a unit, or a client on
 * demand, which knows no --node-name). A different name given for an existing
 * data directory is refused rather than taken: the same records would then carry
 * two node names, and peers would take the node for a new one.
 *
 * It is settled before the database is migrated, since migrations need it.
 */
export function settleNodeName(config: DaemonConfig, dataDir: string): string {
  const saved = savedNodeName(dataDir);
  if (saved === undefined) return config.nodeName;
  if (config.nodeNameFrom !== undefined && config.nodeName !== saved) {
    throw new CortexError(
      'EINVAL',
      `The data in ${dataDir} belongs to node ${saved}, not ${config.nodeName} (${config.nodeNameFrom}): ` +
        `start without a node name, or give this node its own data directory (--home).`,
    );
  }
  return saved;
}

/** Saves the name at first start (after the migrations made `_meta`); a name already saved stays. */
export function saveNodeName(db: Database, name: string): void {
  db.prepare("INSERT OR IGNORE INTO _meta (name, value) VALUES ('node_name', ?)").run(name);
}

/** The name saved in the data directory's database, if it has one yet. */
function savedNodeName(dataDir: string): string | undefined {
  const file = join(dataDir, 'cortex.db');
  if (!existsSync(file)) return undefined;
  const db = new BetterSqlite3(file, { fileMustExist: true });
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_meta'").get();
    if (hasMeta === undefined) return undefined;
    return db.prepare("SELECT value FROM _meta WHERE name = 'node_name'").pluck().get() as string | undefined;
  } finally {
    db.close();
  }
}
