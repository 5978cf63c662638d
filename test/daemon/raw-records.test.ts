import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgMap } from '../../src/protocol/msgpack-types.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/** Sends one request as raw bytes and returns the raw bytes of its response. */
function rawCall(socketPath: string, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const scanner = new FrameScanner();
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (scanner.scan(chunk, 0) !== -1) {
        socket.end();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

/**
 * A record is stored as the bytes it arrived in (no decode and re-encode), so a
 * client gets back exactly what it sent, even a valid but unusual encoding. A
 * map with integer keys is the exception: it is stored as decoded, with string
 * keys, so every reader sees the same record.
 */
describe('records stored as the bytes they arrived in', () => {
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
    await client.call('create_table', { name: 'raw', attributes: ['k', 'v'] });
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
  });

  it('returns a non-minimal encoding byte for byte', async () => {
    // {k: "a", v: "b"} as map16 with str8 strings: valid MessagePack, not what our encoder writes.
    const record = Buffer.from([
      0xde, 0x00, 0x02, 0xd9, 0x01, 0x6b, 0xd9, 0x01, 0x61, 0xd9, 0x01, 0x76, 0xd9, 0x01, 0x62,
    ]);
    const put = Buffer.concat([
      Buffer.from([
        0x94,
        0x00,
        0x01,
        0xa3,
        ...Buffer.from('put'),
        0x82,
        0xa5,
        ...Buffer.from('table'),
        0xa3,
        ...Buffer.from('raw'),
        0xa6,
        ...Buffer.from('record'),
      ]),
      record,
    ]);
    assert.deepEqual(decode(await rawCall(daemon.socket, put)), [1, 1, null, { ok: true }]);
    const response = await rawCall(daemon.socket, encode([0, 2, 'get', { table: 'raw', key: 'a' }]));
    assert.ok(response.includes(record), 'the stored bytes come back unchanged');
    assert.deepEqual((await client.call('get', { table: 'raw', key: 'a' })).record, { k: 'a', v: 'b' });
  });

  it('normalises a map with integer keys', async () => {
    const record = Buffer.from([0x83, 0xa1, 0x6b, 0xa1, 0x7a, 0x01, 0xa3, ...Buffer.from('one'), 0xa1, 0x76, 0xc0]);
    const put = Buffer.concat([encode([0, 3, 'put', { table: 'raw', record: 'X' }]).subarray(0, -2), record]);
    assert.deepEqual(decode(await rawCall(daemon.socket, put)), [1, 3, null, { ok: true }]);
    const { record: stored } = await client.call('get', { table: 'raw', key: 'z' });
    assert.deepEqual(stored, { k: 'z', '1': 'one', v: null });
  });

  it('tells subscribers the right record when it arrived across many reads', async () => {
    const watcher = await daemon.connect();
    try {
      const got = new Promise<unknown>((resolve) => watcher.onNotification((_method, params) => resolve(params)));
      await watcher.call('subscribe', { topic: 'table:raw' });
      const big = 'x'.repeat(300_000);
      await client.call('put', { table: 'raw', record: { k: 'big', v: big } });
      // Another large put reuses the connection's buffer for messages that span reads.
      await client.call('put', { table: 'raw', record: { k: 'big2', v: 'y'.repeat(300_000) } });
      const change = (await got) as { record: { v: string } };
      assert.equal(change.record.v, big);
    } finally {
      watcher.close();
    }
  });
});

/**
 * The daemon's decoder leaves a put's record as its bytes and the put handler decodes only the
 * attributes the store reads (its key and indexed attributes): the record must still be stored
 * whole, whatever form the params take, indexed by the attributes it was not decoded for, and
 * refused as before when its key is missing or not a key.
 */
describe("a put's record left as its bytes", () => {
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
    await client.call('create_table', { name: 'left', attributes: ['k', 'size', 'v'], indexes: ['size'] });
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
  });

  it('stores the whole record, by name, in order and wrapped, with the key anywhere in it', async () => {
    const forms = [
      (record: MsgMap) => ({ table: 'left', record }),
      (record: MsgMap) => ['left', record],
      (record: MsgMap) => [{ table: 'left', record }],
    ];
    for (const [index, form] of forms.entries()) {
      const record = { v: 'é'.repeat(30), size: index, nested: { at: [index] }, k: `form-${index}` };
      assert.deepEqual(decode(await rawCall(daemon.socket, encode([0, 1, 'put', form(record)]))), [
        1,
        1,
        null,
        { ok: true },
      ]);
      const response = await rawCall(daemon.socket, encode([0, 2, 'get', { table: 'left', key: `form-${index}` }]));
      assert.ok(response.includes(encode(record)), `form ${index}: the stored bytes are the record's`);
      const { records } = await client.call('match', { table: 'left', pattern: { size: index } });
      assert.deepEqual(records, [record], `form ${index}: found by its indexed attribute`);
    }
  });

  it('keeps __proto__ as data and refuses a record without its key, or with a key that is not one, as before', async () => {
    const record = Buffer.from([
      0x82,
      0xa1,
      0x6b,
      0xa1,
      0x70,
      0xa9,
      ...Buffer.from('__proto__'),
      0x81,
      0xa1,
      0x78,
      0x01,
    ]);
    const put = Buffer.concat([encode([0, 1, 'put', ['left', 'X']]).subarray(0, -2), record]);
    assert.deepEqual(decode(await rawCall(daemon.socket, put)), [1, 1, null, { ok: true }]);
    const { record: stored } = await client.call('get', { table: 'left', key: 'p' });
    assert.deepEqual(Object.keys(stored!), ['k', '__proto__']);
    assert.equal(Object.getPrototypeOf(stored), Object.prototype);
    for (const bad of [{ v: 1 }, { k: 1.5 }, { k: { a: 1 } }]) {
      const [, , error] = decode(
        await rawCall(daemon.socket, encode([0, 3, 'put', { table: 'left', record: bad }])),
      ) as [number, number, { code: string; message: string }];
      assert.equal(error.code, 'EINVAL', JSON.stringify(bad));
      assert.match(error.message, /record\.k, the key of left, must be a string or an integer/);
    }
    const [, , missing] = decode(await rawCall(daemon.socket, encode([0, 4, 'put', ['nowhere', { k: 'a' }]]))) as [
      number,
      number,
      { code: string },
    ];
    assert.equal(missing.code, 'ENOTFOUND');
  });
});
