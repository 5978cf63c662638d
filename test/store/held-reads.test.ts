import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { WriteBatcher } from '../../daemon/store/write-batcher.js';
import { tempDir } from '../helpers/daemon.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads share one read transaction, opened by the first read and held across turns of
 * the event loop until a write ends it (WriteBatcher.read): a sequential get then takes
 * no WAL read lock of its own. These check that it is held, that every write ends it
 * first (so the write is committed on its own, and the WAL can start over once
 * checkpointed), and that nothing is scheduled for it.
 */
describe('the reads’ transaction, held across turns (WriteBatcher.read)', () => {
  const dir = tempDir();
  const file = join(dir.path, 'held.db');
  let db: Database;
  let other: Database;
  let scheduled = 0;
  const schedule = (callback: () => void) => {
    scheduled++;
    setImmediate(callback);
  };
  let batcher: WriteBatcher;
  const read = () => {
    batcher.read();
    return db.prepare('SELECT count(*) FROM t').pluck().get() as number;
  };
  const insert = (n: number) => () => db.prepare('INSERT INTO t (n) VALUES (?)').run(n);

  before(() => {
    db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (n INTEGER)');
    other = new BetterSqlite3(file);
    batcher = new WriteBatcher(db, {}, undefined, 1024, schedule);
  });
  after(() => {
    other.close();
    db.close();
    dir.remove();
  });

  it('opens a read transaction at the first read and keeps it into later turns, scheduling nothing', async () => {
    scheduled = 0;
    assert.equal(read(), 0);
    assert.equal(db.inTransaction, true);
    await nextTurn();
    await nextTurn();
    assert.equal(db.inTransaction, true);
    assert.equal(read(), 0);
    assert.equal(scheduled, 0);
  });

  it('ends it before a write, which then commits on its own and is seen by the next read', async () => {
    assert.equal(read(), 0);
    const done = batcher.write(insert(1));
    // Not joined to the reads' transaction: that would leave it uncommitted until the reads ended.
    assert.equal(other.prepare('SELECT count(*) FROM t').pluck().get(), 0);
    await done;
    assert.equal(db.inTransaction, false);
    assert.equal(other.prepare('SELECT count(*) FROM t').pluck().get(), 1);
    assert.equal(read(), 1);
    assert.equal(db.inTransaction, true);
  });

  it('ends it when settled, so a write made apart from the batcher commits on its own', () => {
    read();
    batcher.settle();
    assert.equal(db.inTransaction, false);
    insert(2)();
    assert.equal(other.prepare('SELECT count(*) FROM t').pluck().get(), 2);
  });

  it('lets the WAL start over once checkpointed, when reads and writes alternate', async () => {
    // A write made inside a snapshot older than the checkpoint cannot start the WAL over: had writes
    // joined the held read, every write here would append to the WAL and it would grow with each round.
    const walSize = () => statSync(`${file}-wal`).size;
    const round = async (n: number) => {
      read();
      await batcher.write(insert(n));
      read();
      other.pragma('wal_checkpoint(PASSIVE)');
    };
    await round(10);
    await round(11);
    const size = walSize();
    for (let n = 12; n < 60; n++) await round(n);
    assert.equal(walSize(), size);
  });
});
