import type { Database } from 'better-sqlite3';
import { openDatabase } from '../../daemon/store/open-database.js';
import { journalIn } from '../../daemon/store/put-journal.js';
import { Store } from '../../daemon/store/store.js';
import { tempDir } from './daemon.js';

/** A put journal's commit interval long enough that no commit comes by the clock while a test runs. */
export const HELD_MS = 60_000;

/** A store and the database under it, as `StoreDir.open` made them. */
export interface OpenStore {
  db: Database;
  store: Store;
}

/**
 * A Store on a real database in a temporary directory, opened as the daemon opens them
 * (node 'a', `synchronous: normal`, the put journal on): for the store's tests that run
 * it in process, where a daemon would hide the moment they attack. `open` may be called
 * again to play a restart; `remove` closes whatever is open, whatever state the test left
 * it in, and removes the directory.
 */
export class StoreDir {
  private readonly dir: { path: string; remove: () => void };
  private db: Database | undefined;
  private store: Store | undefined;

  constructor(prefix?: string) {
    this.dir = tempDir(prefix);
  }

  get path(): string {
    return this.dir.path;
  }

  /** Opens the database and a store on it; the database stays open (and is closed by remove) if the store refuses to start. */
  open({ heldMs = HELD_MS, cacheBytes }: { heldMs?: number; cacheBytes?: number } = {}): OpenStore {
    const db = (this.db = openDatabase(this.dir.path, 'normal', { node: 'a' }));
    this.store = undefined;
    const store = (this.store = new Store(db, 'a', Date.now, 60_000, journalIn(this.dir.path, heldMs), cacheBytes));
    return { db, store };
  }

  remove(): void {
    try {
      this.store?.close();
    } catch {
      // A store the test stopped on purpose (its puts lost, its journal refused) reports that at close.
    } finally {
      this.db?.close();
      this.dir.remove();
    }
  }
}

/**
 * A turn of puts into `table` that SQLite refuses in the turn itself, before its journal write, so its
 * puts are not acknowledged: with a trigger refusing the key 'bad' (as refusalOfA's), 64 rows ending in
 * 'bad'. A lone put's statement waits past its acknowledgment (PutBuffer.hold), but a turn that brings
 * the waiting rows to 64 writes them at once. Resolves with the turn's rejection.
 */
export function putRefusedTurn(store: Store, table: string): Promise<void> {
  const fillers = Array.from({ length: 63 }, (_, index) => ({ id: `filler${index}`, v: index }));
  return store.putMany(table, [...fillers, { id: 'bad', v: 0 }]);
}

/**
 * Lets a test make the store lose its journaled puts, as a disk that fills for good would: SQLite refuses
 * every put of the key 'bad' into table kv, and after `arm()` every put of 'a' too, so the rollback a 'bad'
 * put causes (see putRefusedTurn) cannot write the journaled 'a' again.
 */
export function refusalOfA(db: Database): { arm(): void } {
  let armed = false;
  db.function('armed', () => (armed ? 1 : 0));
  db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON "t_kv" WHEN NEW.k = 'bad' OR (NEW.k = 'a' AND armed())
    BEGIN SELECT RAISE(ABORT, 'refused'); END`);
  return { arm: () => (armed = true) };
}
