import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { decode, Decoder } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { StoredRecord } from '../../src/protocol/store-types.js';
import { eachStatement } from '../../daemon/store/multi-row.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { PutBuffer } from '../../daemon/store/put-buffer.js';
import { Store } from '../../daemon/store/store.js';
import { tempDir } from '../helpers/daemon.js';

/**
 * A group commit's puts are kept back and written per table as multi-row
 * statements at its end (daemon/store/put-buffer.ts): these check that the batch
 * still keeps its order, reads its own writes, and stands or falls as one.
 */
describe("a group commit's puts, written together at its end", () => {
  const dir = tempDir();
  let db: Database;
  let store: Store;
  const record = (table: 'a' | 'b', id: string) => decode(store.get(table, id)?.bytes ?? encode(null));
  const logSince = (head: number) => store.replica.changesAfter(head, 1000).map(({ tbl, k }) => `${tbl}:${String(k)}`);

  before(() => {
    db = openDatabase(dir.path, 'normal', { node: "node-'a" });
    // A node name with a quote: it is written into the put's SQL, not bound.
    store = new Store(db, "node-'a");
    store.createTable({ name: 'a', attributes: ['id', 'n'], indexes: ['n'], owner: 'alice' });
    store.createTable({ name: 'b', attributes: ['id', 'x'], owner: 'alice' });
  });

  after(() => {
    db.close();
    dir.remove();
  });

  it('writes puts to two tables in the order they came, a key put twice keeping its later record', async () => {
    store.flush();
    const head = store.replica.headSeq();
    const writes = [
      store.put('a', { id: 'k1', n: 1 }),
      store.put('b', { id: 'k1', x: 'first' }),
      store.put('a', { id: 'k2', n: 2 }),
      store.put('b', { id: 'k1', x: 'second' }),
      store.put('a', { id: 'k1', n: 3 }),
    ];
    await Promise.all(writes);
    assert.deepEqual(record('a', 'k1'), { id: 'k1', n: 3 });
    assert.deepEqual(record('a', 'k2'), { id: 'k2', n: 2 });
    assert.deepEqual(record('b', 'k1'), { id: 'k1', x: 'second' });
    // Each key's log entry is its last write, at the seq it was given when put.
    assert.deepEqual(logSince(head), ['a:k2', 'b:k1', 'a:k1']);
    const entries = store.replica.changesAfter(head, 10);
    assert.deepEqual(
      entries.map(({ seq }) => seq - head),
      [3, 4, 5],
    );
    assert.ok(entries.every(({ node, src }) => node === "node-'a" && src === null));
    assert.ok(entries[0]!.hlc < entries[1]!.hlc && entries[1]!.hlc < entries[2]!.hlc);
    // The indexed attribute's column holds the later record's value.
    assert.deepEqual(store.match('a', { n: 3 }, 10).records.length, 1);
    assert.deepEqual(store.match('a', { n: 1 }, 10).records.length, 0);
  });

  it('lets a get in the same turn as the puts read them, and a delete after a put delete it', async () => {
    const put = store.put('a', { id: 'ryw', n: 10 });
    const other = store.put('b', { id: 'ryw', x: 'seen' });
    // Not awaited: the read commits the batch before it reads.
    assert.deepEqual(decode(store.get('a', 'ryw')!.bytes), { id: 'ryw', n: 10 });
    assert.deepEqual(decode(store.get('b', 'ryw')!.bytes), { id: 'ryw', x: 'seen' });
    await Promise.all([put, other]);
    const again = store.put('a', { id: 'gone', n: 11 });
    const deleted = store.delete('a', 'gone');
    await again;
    assert.equal(await deleted, true);
    assert.equal(store.get('a', 'gone'), null);
  });

  it('fails every put of a batch, in both tables, when work in its middle fails, and takes the next batch', async () => {
    store.flush();
    const head = store.replica.headSeq();
    const before = [store.put('a', { id: 'rb1', n: 1 }), store.put('b', { id: 'rb1', x: 'lost' })];
    const failed = store.transact(() => {
      throw new Error('a statement failed');
    });
    // After the rollback, puts in the same turn start a batch of their own.
    const later = [store.put('b', { id: 'rb2', x: 'kept' }), store.put('a', { id: 'rb2', n: 2 })];
    await assert.rejects(failed, /a statement failed/);
    for (const put of before) await assert.rejects(put, /a statement failed/);
    await Promise.all(later);
    assert.equal(store.get('a', 'rb1'), null);
    assert.equal(store.get('b', 'rb1'), null);
    assert.deepEqual(record('a', 'rb2'), { id: 'rb2', n: 2 });
    assert.deepEqual(record('b', 'rb2'), { id: 'rb2', x: 'kept' });
    // The rolled-back puts' seqs were handed out again.
    assert.deepEqual(
      store.replica.changesAfter(head, 10).map(({ seq, tbl }) => [seq - head, tbl]),
      [
        [1, 'b'],
        [2, 'a'],
      ],
    );
  });

  it('rolls back the rows already written to one table when the other table refuses its rows at the commit', async () => {
    store.flush();
    const head = store.replica.headSeq();
    const other = new BetterSqlite3(join(dir.path, 'cortex.db'));
    try {
      other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON "t_b" BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      const puts = [
        ...Array.from({ length: 70 }, (_, i) => store.put('a', { id: `all${i}`, n: i })),
        store.put('b', { id: 'all', x: 'refused' }),
      ];
      for (const put of puts) await assert.rejects(put, /refused/);
      other.exec('DROP TRIGGER refuse');
    } finally {
      other.close();
    }
    assert.equal(store.match('a', { id: { $prefix: 'all' } }, 1000).records.length, 0);
    assert.equal(store.replica.headSeq(), head);
  });

  it('writes batches of every size, in statements of several sizes, with their index values', async () => {
    for (const size of [1, 7, 64, 100, 1500]) {
      const prefix = `s${size}-`;
      await Promise.all(
        Array.from({ length: size }, (_, i) => store.put('a', { id: `${prefix}${i}`, n: 100_000 + i })),
      );
      const found = store
        .match('a', { id: { $prefix: prefix } }, 10_000)
        .records.map((raw) => decode(raw.bytes) as StoredRecord);
      assert.equal(found.length, size);
      for (const { id, n } of found) assert.equal(n, 100_000 + Number((id as string).slice(prefix.length)));
      assert.equal(store.match('a', { n: 100_000 + size - 1 }, 10).records.length, 1);
    }
  });

  it('writes a table with more indexed attributes than one full statement can bind', async () => {
    const attributes = Array.from({ length: 80 }, (_, i) => `f${i}`);
    store.createTable({ name: 'wide', attributes: ['id', ...attributes], indexes: attributes, owner: 'alice' });
    const wide = (i: number): StoredRecord => {
      const fields: StoredRecord = { id: i };
      attributes.forEach((name, f) => (fields[name] = i * 100 + f));
      return fields;
    };
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.put('wide', wide(i))));
    assert.equal(store.count('wide'), 100);
    assert.deepEqual(decode(store.get('wide', 99)!.bytes), wide(99));
    assert.equal(store.match('wide', { f79: 5079 }, 10).records.length, 1);
  });

  it('counts the statements of every batch size as writing it makes them, so one statement alone runs in autocommit', () => {
    // The batcher runs a batch without BEGIN when this count is 1: counting one statement too few would
    // commit the statements of a batch apart. The count comes from a table of remainders; this checks it
    // against the statements writing makes, for a table of full statements (64 rows) and one whose rows
    // bind too many values for them (61 indexed attributes: 32 rows at most).
    const attributes = Array.from({ length: 61 }, (_, i) => `g${i}`);
    store.createTable({ name: 'counted', attributes: ['id', ...attributes], indexes: attributes, owner: 'alice' });
    const upTo16 = Array.from({ length: 16 }, (_, index) => 16 - index);
    const buffer = new PutBuffer(db, 'node');
    for (const [table, sizes] of [
      ['a', [64, 32, ...upTo16]],
      ['counted', [32, ...upTo16]],
    ] as const) {
      const handle = store.catalog.handle(table);
      const indexValues = handle.info.indexes.map(() => null);
      for (let rows = 0; rows <= 300; rows++) {
        let made = 0;
        eachStatement(rows, sizes, () => made++);
        buffer.discard();
        for (let row = 0; row < rows; row++) buffer.add(handle, `c${row}`, Buffer.alloc(1), 0, 0, indexValues);
        assert.equal(buffer.statementCount, made, `${rows} rows of ${table}`);
      }
    }
    buffer.discard();
  });

  it("keeps each put's bytes until the commit, though the messages they arrived in are reused", async () => {
    const decoder = new Decoder(undefined, new Set([0]));
    const message = Buffer.alloc(64);
    const puts = [];
    for (let i = 0; i < 5; i++) {
      // One read buffer, as a connection's: each message is decoded from it, put, and then overwritten.
      const bytes = encode({ id: `reused${i}`, n: i });
      message.fill(0xc1);
      bytes.copy(message);
      puts.push(store.put('a', decoder.decode(message.subarray(0, bytes.length)) as StoredRecord));
    }
    message.fill(0xc1);
    await Promise.all(puts);
    for (let i = 0; i < 5; i++) assert.deepEqual(record('a', `reused${i}`), { id: `reused${i}`, n: i });
  });
});
