import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { CortexError } from '../../src/protocol/errors.js';
import { decode, Decoder } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { EncodedMap, MAX_REQUEST_DEPTH, type MsgMap, type MsgValue } from '../../src/protocol/msgpack-types.js';
import { openDatabase } from '../../daemon/store/open-database.js';
import { PUT_DONE, Store } from '../../daemon/store/store.js';
import type { Writer } from '../../daemon/store/write-batcher.js';
import { tempDir } from '../helpers/daemon.js';

/** A daemon connection's decoder: a put's record is left as its bytes (see daemon/server/connection.ts). */
const requestDecoder = () =>
  new Decoder(MAX_REQUEST_DEPTH, new Set([2, 3]), new Map([['put', { name: 'record', position: 1 }]]));

/**
 * `Store.put` takes a request's record as it arrived (an EncodedMap over the read buffer) and reads
 * only its key and indexed attributes; `Store.putTo` answers a writer (a request's answer) instead
 * of a promise. Both on a real database file, read back through a second connection.
 */
describe('puts of records left encoded, and answered without a promise', () => {
  const dir = tempDir();
  let db: Database;
  let store: Store;
  /** A second connection to the file: it sees only what is committed. */
  let reader: Database;
  const committed = (table: string, key: string) =>
    reader.prepare(`SELECT v, "i_n" AS n FROM "t_${table}" WHERE k = ?`).get(key) as
      { v: Buffer; n: MsgValue } | undefined;

  /** The record of `[0, 1, 'put', {table, record}]` as the daemon's decoder leaves it, in a buffer reused after. */
  function leftEncoded(decoder: Decoder, message: Buffer, record: MsgMap): EncodedMap {
    const bytes = encode([0, 1, 'put', { table: 'a', record }]);
    bytes.copy(message);
    assert.ok(decoder.decodeRequest(message, 0, bytes.length) >= 0);
    const left = (decoder.takeNotificationParams() as MsgMap)['record'];
    assert.ok(left instanceof EncodedMap);
    return left;
  }

  before(() => {
    db = openDatabase(dir.path, 'normal', { node: 'n1' });
    store = new Store(db, 'n1');
    store.createTable({ name: 'a', attributes: ['id', 'n', 'text'], indexes: ['n'], owner: 'alice' });
    reader = new BetterSqlite3(join(dir.path, 'cortex.db'), { readonly: true });
  });

  after(() => {
    reader.close();
    db.close();
    dir.remove();
  });

  it("writes an encoded record's own bytes, its key and indexed attribute read from them, though its buffer is reused", async () => {
    const decoder = requestDecoder();
    const message = Buffer.alloc(256);
    // Fields in an order of their own, and one the table does not index: the bytes are stored as sent.
    const records = [
      { text: 'first', n: 7, id: 'e1', extra: [1, { deep: true }] },
      { n: 'eight', id: 'e2' },
      { id: 'e3', text: 'no n' },
    ];
    const puts = records.map((record) => {
      const put = store.put('a', leftEncoded(decoder, message, record));
      message.fill(0xc1);
      return put;
    });
    assert.deepEqual(await Promise.all(puts), [PUT_DONE, PUT_DONE, PUT_DONE]);
    for (const record of records) {
      const row = committed('a', record.id)!;
      assert.equal(row.v.toString('hex'), encode(record).toString('hex'));
      assert.deepEqual(decode(row.v), record);
    }
    assert.deepEqual(
      records.map((record) => committed('a', record.id)!.n),
      [7, 'eight', null],
    );
  });

  it("refuses an encoded record without a usable key, as it refuses the record's object", () => {
    const decoder = requestDecoder();
    const message = Buffer.alloc(256);
    for (const record of [{ n: 1 }, { id: 1.5 }, { id: null }]) {
      const expected = { code: 'EINVAL', message: 'record.id, the key of a, must be a string or an integer.' };
      assert.throws(() => store.put('a', leftEncoded(decoder, message, record)), expected);
      assert.throws(() => store.put('a', record as MsgMap as never), expected);
    }
  });

  it('decodes whole, and writes as encoded again, an encoded record its decoder has moved on from', async () => {
    const decoder = requestDecoder();
    const left = leftEncoded(decoder, Buffer.alloc(256), { id: 'e4', n: 4 });
    const get = encode([0, 2, 'get', { table: 'a', key: 'e4' }]);
    assert.ok(decoder.decodeRequest(get, 0, get.length) >= 0);
    await store.put('a', left);
    assert.deepEqual(decode(committed('a', 'e4')!.v), { id: 'e4', n: 4 });
    assert.equal(committed('a', 'e4')!.n, 4);
    assert.throws(() => store.put('a', new EncodedMap(encode(['not', 'a', 'map']))), { code: 'EPROTO' });
  });

  it("answers a writer once the put is committed, after the change's subscribers heard of it", async () => {
    const heard: string[] = [];
    const stop = store.onChange((change) => heard.push(`change ${String(change.key)}`));
    try {
      const answered = new Promise<unknown>((resolve, reject) => {
        const writer: Writer = {
          resolve(value) {
            // The answer leaves only once another connection can read the put.
            heard.push(`answer ${committed('a', 'w1') === undefined ? 'before' : 'after'} the commit`);
            resolve(value);
          },
          reject,
        };
        store.putTo(writer, 'a', { id: 'w1', n: 1 });
      });
      assert.equal(committed('a', 'w1'), undefined);
      assert.equal(await answered, PUT_DONE);
      assert.deepEqual(heard, ['change w1', 'answer after the commit']);
    } finally {
      stop();
    }
    const unheard = new Promise<unknown>((resolve, reject) => store.putTo({ resolve, reject }, 'a', { id: 'w2' }));
    assert.equal(await unheard, PUT_DONE);
    assert.ok(committed('a', 'w2') !== undefined);
  });

  it('throws for a record it refuses without answering the writer, and rejects it once the store is closed', () => {
    const calls: string[] = [];
    const writer: Writer = {
      resolve: () => calls.push('resolve'),
      reject: (error) => calls.push(`reject ${error instanceof CortexError ? error.code : String(error)}`),
    };
    assert.throws(() => store.putTo(writer, 'a', { n: 1 }), { code: 'EINVAL' });
    assert.throws(() => store.putTo(writer, 'missing', { id: 'x' }), { code: 'ENOTFOUND' });
    assert.deepEqual(calls, []);
    const closingDb = openDatabase(dir.path, 'normal', { node: 'n1' });
    try {
      const closing = new Store(closingDb, 'n1');
      closing.close();
      closing.putTo(writer, 'a', { id: 'late' });
      assert.deepEqual(calls, ['reject ECLOSED']);
    } finally {
      closingDb.close();
    }
  });
});
