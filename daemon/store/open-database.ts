import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrate, type MigrationContext } from './migrations/index.js';

export type Synchronous = 'normal' | 'full';

/**
 * Opens (creating if needed) the daemon's one database file in WAL mode.
 *
 * `synchronous`: with WAL, `normal` writes every commit to the operating system
 * before the daemon acknowledges it, so an acknowledged write survives the daemon
 * being killed (even `kill -9`), but the last commits before a power loss or a
 * kernel crash may be lost (never corrupted). `full` also fsyncs the WAL at every
 * commit, so acknowledged writes survive power loss too, at the cost of an fsync
 * per group commit. `context` tells migrations this node's name.
 */
export function openDatabase(dataDir: string, synchronous: Synchronous, context: MigrationContext): Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new BetterSqlite3(join(dataDir, 'cortex.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, context);
  return db;
}
