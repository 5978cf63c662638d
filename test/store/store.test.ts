import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { type CortexError } from '../../src/protocol/errors.js';
import { decode, Decoder } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue, RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { StoredRecord } from '../../src/protocol/store-types.js';
import { buildMatchQuery, parsePattern } from '../../daemon/store/match-query.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { Store } from '../../daemon/store/store.js';
import { tempDir } from '../helpers/daemon.js';

const records = (raw: RawMsgpack[]) => raw.map((item) => decode(item.bytes) as StoredRecord);

describe('the table store on a real SQLite file', () => {
  const dir = tempDir();
  let db: Database;
  let store: Store;

  before(async () => {
    db = openDatabase(dir.path, 'normal', { node: 'node-a' });
    store = new Store(db, 'node-a');
    store.createTable({
      name: 'users',
      attributes: ['id', 'name', 'age', 'tags'],
      indexes: ['name', 'age'],
      owner: 'alice',
    });
    await store.putMany(
      'users',
      Array.from({ length: 50 }, (_, i) => ({
        id: `u${String(i).padStart(2, '0')}`,
        name: i % 2 ? 'odd' : 'even',
        age: i,
        tags: [i % 3],
      })),
    );
  });

  after(() => {
    db.close();
    dir.remove();
  });

  it('puts and gets a record, returning its exact bytes', async () => {
    await store.put('users', { id: 'x1', name: 'xavier', age: 41, extra: { nested: [1, 'two'] } });
    const raw = store.get('users', 'x1');
    assert.ok(raw);
    assert.deepEqual(decode(raw.bytes), { id: 'x1', name: 'xavier', age: 41, extra: { nested: [1, 'two'] } });
    assert.equal(store.get('users', 'missing'), null);
  });

  it("reads a table's change-log entries from its seq index alone, not row by row", () => {
    const plan = db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT seq, k, hlc, node, del, src FROM "t_users" WHERE seq > 0 ORDER BY seq LIMIT 10',
      )
      .all() as { detail: string }[];
    assert.deepEqual(
      plan.map((step) => step.detail),
      ['SEARCH t_users USING COVERING INDEX q_users (seq>?)'],
    );
  });

  it('keeps string and integer keys apart', async () => {
    store.createTable({ name: 'nums', attributes: ['n', 'v'], owner: 'alice' });
    await store.put('nums', { n: 1, v: 'int' });
    await store.put('nums', { n: '1', v: 'string' });
    assert.deepEqual(decode(store.get('nums', 1)!.bytes), { n: 1, v: 'int' });
    assert.deepEqual(decode(store.get('nums', '1')!.bytes), { n: '1', v: 'string' });
  });

  it('refuses a record without a usable key, naming the attribute', () => {
    assert.throws(
      () => store.put('users', { name: 'nokey' }),
      (error: CortexError) => {
        assert.equal(error.code, 'EINVAL');
        assert.match(error.message, /record\.id, the key of users/);
        return true;
      },
    );
    assert.throws(() => store.put('users', { id: 1.5 }), { code: 'EINVAL' });
    assert.throws(() => store.put('users', { id: { a: 1 } }), { code: 'EINVAL' });
  });

  it('answers ENOTFOUND for a table that does not exist and EEXIST for one that does', () => {
    assert.throws(() => store.get('nope', 'k'), { code: 'ENOTFOUND' });
    assert.throws(() => store.createTable({ name: 'users', attributes: ['id'], owner: 'bob' }), { code: 'EEXIST' });
    assert.throws(() => store.createTable({ name: 'bad', attributes: ['id', 'a'], indexes: ['zzz'], owner: 'bob' }), {
      code: 'EINVAL',
    });
  });

  it('matches on indexed attributes through an index, never a scan', () => {
    const patterns: Record<string, MsgValue>[] = [
      { name: 'odd' },
      { age: { $gte: 10, $lt: 20 } },
      { name: { $prefix: 'ev' } },
      { name: { $in: ['odd', 'even'] } },
      { id: 'u07' },
    ];
    for (const pattern of patterns) {
      const query = buildMatchQuery(store.catalog.handle('users').info, parsePattern(pattern));
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as { detail: string }[])
        .map((row) => row.detail)
        .join('; ');
      assert.match(plan, /SEARCH .* USING (INDEX|PRIMARY KEY)/, `${JSON.stringify(pattern)}: ${plan}`);
      assert.doesNotMatch(plan, /\bSCAN\b/, `${JSON.stringify(pattern)}: ${plan}`);
    }
  });

  it('answers equality, range, prefix, $in and $ne patterns exactly', () => {
    const odd = records(store.match('users', { name: 'odd' }, 1000).records);
    assert.equal(odd.length, 25);
    assert.ok(odd.every((record) => record['name'] === 'odd'));

    const range = records(store.match('users', { age: { $gte: 10, $lt: 13 } }, 1000).records);
    assert.deepEqual(range.map((record) => record['age']).sort(), [10, 11, 12]);

    const both = records(store.match('users', { name: 'even', age: { $lte: 4 } }, 1000).records);
    assert.deepEqual(both.map((record) => record['id']).sort(), ['u00', 'u02', 'u04']);

    const prefix = records(store.match('users', { id: { $prefix: 'u4' } }, 1000).records);
    assert.equal(prefix.length, 10);

    const unindexed = records(store.match('users', { tags: [0], age: { $lt: 7 } }, 1000).records);
    assert.deepEqual(unindexed.map((record) => record['age']).sort(), [0, 3, 6]);

    const notEven = records(store.match('users', { name: { $ne: 'even' }, age: { $in: [1, 2, 3] } }, 1000).records);
    assert.deepEqual(notEven.map((record) => record['age']).sort(), [1, 3]);
  });

  it('does not let a range cross types: a string bound never matches numbers', () => {
    assert.equal(store.match('users', { age: { $gt: '' } }, 1000).records.length, 0);
  });

  it('limits a match and says it was truncated', () => {
    const result = store.match('users', { name: 'odd' }, 5);
    assert.equal(result.records.length, 5);
    assert.equal(result.truncated, true);
    assert.equal(store.match('users', { name: 'odd' }, 25).truncated, false);
  });

  it('refuses unknown operators and operands of the wrong type', () => {
    assert.throws(() => store.match('users', { age: { $regex: 'x' } }, 10), { code: 'EINVAL' });
    assert.throws(() => store.match('users', { age: { $gt: [1] } }, 10), { code: 'EINVAL' });
    assert.throws(() => store.match('users', { age: { $prefix: 1 } }, 10), { code: 'EINVAL' });
  });

  it('pages through all records in key order with a cursor', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.page('users', 7, cursor);
      seen.push(...records(page.records).map((record) => record['id'] as string));
      cursor = page.cursor ?? undefined;
      pages++;
    } while (cursor !== undefined);
    const expected = records(store.page('users', 10_000).records).map((record) => record['id'] as string);
    assert.deepEqual(seen, expected);
    assert.deepEqual([...expected].sort(), expected);
    assert.equal(pages, Math.ceil(expected.length / 7));
    assert.throws(() => store.page('users', 5, 'not-a-cursor!'), { code: 'EINVAL' });
  });

  it('deletes by leaving a tombstone that reads as absent', async () => {
    assert.equal(await store.delete('users', 'u01'), true);
    assert.equal(await store.delete('users', 'u01'), false);
    assert.equal(store.get('users', 'u01'), null);
    assert.equal(records(store.match('users', { id: 'u01' }, 10).records).length, 0);
    const row = db.prepare('SELECT del, v FROM "t_users" WHERE k = ?').get('u01') as { del: number; v: Buffer | null };
    assert.deepEqual(row, { del: 1, v: null });
  });

  it('stamps every write with a growing hybrid clock and the node, in the change log', async () => {
    const before = store.replica.headSeq();
    await store.put('users', { id: 'c1', name: 'c' });
    await store.put('users', { id: 'c2', name: 'c' });
    const written = store.replica.changesAfter(before, 10);
    await store.delete('users', 'c1');
    const changes = store.replica.changesAfter(before, 10);
    const summary = (entries: typeof changes) => entries.map(({ tbl, k, node, op }) => [tbl, k, node, op]);
    assert.deepEqual(summary(written), [
      ['users', 'c1', 'node-a', 0],
      ['users', 'c2', 'node-a', 0],
    ]);
    // A row is its own newest log entry: the delete moves c1 past c2 with a new seq and clock.
    assert.deepEqual(summary(changes), [
      ['users', 'c2', 'node-a', 0],
      ['users', 'c1', 'node-a', 1],
    ]);
    assert.ok(written[0]!.hlc < written[1]!.hlc && changes[0]!.hlc < changes[1]!.hlc);
    assert.ok(written[1]!.seq < changes[1]!.seq);
    assert.equal(store.replica.headSeq(), changes[1]!.seq);
    const rowHlc = db.prepare('SELECT hlc FROM "t_users" WHERE k = ?').pluck().get('c2');
    assert.equal(rowHlc, changes[0]!.hlc);
  });

  it('never hands out a seq again, even after the newest change was collected and the store reopened', async () => {
    const own = tempDir();
    const file = openDatabase(own.path, 'normal', { node: 'node-a' });
    try {
      const first = new Store(file, 'node-a');
      first.createTable({ name: 'notes', attributes: ['id'], owner: 'alice' });
      await first.put('notes', { id: 'last' });
      assert.equal(await first.delete('notes', 'last'), true);
      const newest = first.replica.headSeq();
      const { collected } = await first.replica.collect(
        first.replica.changesAfter(0, 1000),
        Number.MAX_SAFE_INTEGER,
        () => false,
      );
      assert.equal(collected, 1);
      assert.equal(file.prepare('SELECT count(*) FROM "t_notes"').pluck().get(), 0);
      const reopened = new Store(file, 'node-a');
      assert.equal(reopened.replica.headSeq(), newest);
      await reopened.put('notes', { id: 'after' });
      assert.deepEqual(
        reopened.replica.changesAfter(newest - 1, 10).map(({ seq, k }) => [seq, k]),
        [[newest + 1, 'after']],
      );
    } finally {
      file.close();
      own.remove();
    }
  });

  it('rolls back a failed batch and hands its seqs out again', async () => {
    const head = store.replica.headSeq();
    // Work that fails in a group commit rolls back the whole group, the put before it included.
    const put = store.put('users', { id: 'r1' });
    await assert.rejects(
      store.transact(() => {
        throw new Error('a statement failed');
      }),
    );
    await assert.rejects(put);
    assert.equal(store.get('users', 'r1'), null);
    assert.equal(store.replica.headSeq(), head);
    await store.put('users', { id: 'r2' });
    assert.deepEqual(
      store.replica.changesAfter(head, 10).map(({ seq, k }) => [seq, k]),
      [[head + 1, 'r2']],
    );
  });

  it("keeps a lone put's bytes until its commit, though the message they arrived in is reused", async () => {
    store.flush();
    const message = encode({ id: 'held', name: 'kept', age: 7 });
    const arrived = new Decoder(undefined, new Set([0])).decode(message) as StoredRecord;
    // The put is kept back until the commit (a turn later): it must not read the message then.
    const put = store.put('users', arrived);
    message.fill(0xc1);
    await put;
    assert.deepEqual(decode(store.get('users', 'held')!.bytes), { id: 'held', name: 'kept', age: 7 });
  });

  it('rejects a lone put that fails at its commit and hands its seq out again', async () => {
    store.flush();
    const head = store.replica.headSeq();
    const other = new BetterSqlite3(join(dir.path, 'cortex.db'));
    try {
      other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON "t_users" BEGIN SELECT RAISE(ABORT, 'refused'); END`);
      // Alone in its batch, the put runs at the commit, in autocommit: its failure must still reach the writer.
      await assert.rejects(store.put('users', { id: 'refused' }), /refused/);
      other.exec('DROP TRIGGER refuse');
    } finally {
      other.close();
    }
    assert.equal(store.replica.headSeq(), head);
    await store.put('users', { id: 'accepted' });
    assert.deepEqual(
      store.replica.changesAfter(head, 10).map(({ seq, k }) => [seq, k]),
      [[head + 1, 'accepted']],
    );
  });

  it('reads in one read transaction held across turns, which the next write ends before it runs', async () => {
    await store.putMany('users', [{ id: 'turn1' }, { id: 'turn2' }]);
    await new Promise(setImmediate);
    assert.ok(store.get('users', 'turn1'));
    // A sequential client's gets share it: none takes the WAL read lock again.
    assert.equal(db.inTransaction, true);
    await new Promise(setImmediate);
    assert.equal(db.inTransaction, true);
    assert.ok(store.get('users', 'turn2'));
    await store.put('users', { id: 'turn3' });
    assert.equal(db.inTransaction, false);
    assert.ok(store.get('users', 'turn3'));
    assert.equal(db.inTransaction, true);
  });

  it('commits writes that arrive together as one group, acknowledging them only after the commit', async () => {
    const reader = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true });
    try {
      const count = reader.prepare('SELECT count(*) FROM "t_users" WHERE k LIKE \'g%\'').pluck();
      const writes = Array.from({ length: 20 }, (_, i) => store.put('users', { id: `g${i}`, name: 'group' }));
      // Not yet committed: another connection to the file sees none of them.
      assert.equal(count.get(), 0);
      await Promise.all(writes);
      assert.equal(count.get(), 20);
    } finally {
      reader.close();
    }
  });

  it('stores an unsigned 64-bit value past 2^63 in an indexed attribute without failing its batch', async () => {
    const huge = (1n << 64n) - 1n;
    const writes = [
      store.put('users', { id: 'big', name: 'big', age: huge }),
      store.put('users', { id: 'neighbour', name: 'n', age: 1 }),
    ];
    await Promise.all(writes);
    assert.deepEqual(
      records(store.match('users', { age: huge }, 10).records).map((record) => record['id']),
      ['big'],
    );
    assert.deepEqual(
      records(store.match('users', { age: { $gt: huge - 1n } }, 10).records).map((record) => record['id']),
      ['big'],
    );
    assert.ok(store.get('users', 'neighbour'));
  });

  it('stops a page at 8 MiB of records and continues it with the cursor', async () => {
    store.createTable({ name: 'large', attributes: ['k', 'blob'], owner: 'alice' });
    const blob = Buffer.alloc(3 * 1024 * 1024, 1);
    await store.putMany(
      'large',
      ['a', 'b', 'c', 'd', 'e'].map((k) => ({ k, blob })),
    );
    const first = store.page('large', 100);
    assert.equal(first.records.length, 2);
    assert.ok(first.cursor);
    const rest = store.page('large', 100, first.cursor);
    const last = store.page('large', 100, rest.cursor ?? undefined);
    assert.equal(first.records.length + rest.records.length + last.records.length, 5);
    const matched = store.match('large', {}, 100);
    assert.equal(matched.records.length, 2);
    assert.equal(matched.truncated, true);
    store.dropTable('large', 'alice');
  });

  it('drops a table with its records', async () => {
    store.createTable({ name: 'temp', attributes: ['k'], owner: 'alice' });
    await store.put('temp', { k: 'a' });
    store.dropTable('temp', 'alice');
    assert.throws(() => store.get('temp', 'a'), { code: 'ENOTFOUND' });
    const left = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 't_temp'").pluck().get();
    assert.equal(left, 0);
  });

  it('keeps its tables and records across a reopen', () => {
    db.close();
    db = openDatabase(dir.path, 'normal', { node: 'node-a' });
    store = new Store(db, 'node-a');
    assert.deepEqual(
      store.catalog.list().map((table) => table.name),
      ['nums', 'users'],
    );
    assert.equal((decode(store.get('users', 'x1')!.bytes) as StoredRecord)['name'], 'xavier');
    assert.deepEqual(store.catalog.handle('users').info.indexes, ['name', 'age']);
  });
});
