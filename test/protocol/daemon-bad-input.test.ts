import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { encode as referenceEncode } from '@msgpack/msgpack';
import type { Client } from '../../src/client/client.js';
import { MAX_DEPTH, MAX_REQUEST_DEPTH, type MsgValue } from '../../src/protocol/msgpack-types.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { nestedArrayBytes, nestedArrays } from './random.js';
import {
  bounded,
  countOccurrences,
  errorCode,
  eventually,
  RawClient,
  request,
  show,
  waitForLog,
} from './raw-client.js';

const MiB = 1024 * 1024;
const REF = { id: 'r1', name: 'reference', n: 7 };

/** Hand-encoded fixstr. */
function str(text: string): number[] {
  assert.ok(text.length < 32);
  return [0xa0 | text.length, ...Buffer.from(text)];
}

/** Opens a raw connection, runs `body`, and always destroys the connection. */
async function withRaw<T>(daemon: DaemonHandle, body: (raw: RawClient) => Promise<T>): Promise<T> {
  const raw = await RawClient.open(daemon.socket);
  try {
    return await body(raw);
  } finally {
    raw.destroy();
  }
}

/** The error code of a response, failing if it was a success. */
function codeOf(response: { error: MsgValue; result: MsgValue }): string {
  assert.notEqual(response.error, null, `expected an error, got the result ${show(response.result)}`);
  return errorCode(response.error);
}

async function connections(observer: Client): Promise<number> {
  const status = (await bounded(observer.request('status', {}), 'status')) as { connections: number };
  return status.connections;
}

/**
 * The daemon is alive and serves both a client that was connected all along and
 * a brand-new one correctly, and no connection but the observer's is left open.
 */
async function assertServing(daemon: DaemonHandle, observer: Client): Promise<void> {
  assert.equal(daemon.process.exitCode, null, 'the daemon exited');
  assert.equal(daemon.process.signalCode, null, 'the daemon was killed');
  assert.deepEqual(await bounded(observer.request('ping', {}), 'ping'), { pong: true });
  assert.deepEqual(await bounded(observer.request('get', { table: 'ref', key: 'r1' }), 'get'), { record: REF });
  await withRaw(daemon, async (fresh) => {
    assert.deepEqual(await fresh.ok(1, 'get', { table: 'ref', key: 'r1' }), { record: REF });
    assert.deepEqual(await fresh.ok(2, 'ping', {}), { pong: true });
  });
  await eventually(async () => (await connections(observer)) === 1, 'the daemon to forget closed connections');
  assert.doesNotMatch(daemon.stderr(), /internal error/);
}

async function startWithReference(
  config?: Record<string, unknown>,
): Promise<{ daemon: DaemonHandle; observer: Client }> {
  const daemon = await startDaemon(config ? { config } : {});
  const observer = await daemon.connect();
  await observer.request('create_table', { name: 'ref', attributes: ['id', 'name', 'n'], indexes: ['name'] });
  await observer.request('put', { table: 'ref', record: REF });
  return { daemon, observer };
}

/** A `put` request of exactly `size` encoded bytes. */
function putOfSize(id: number, size: number, key = 'sized'): Buffer {
  const base = request(id, 'put', { table: 'ref', record: { id: key, pad: '' } }).length;
  for (let pad = Math.max(0, size - base - 5); pad <= size; pad++) {
    const bytes = request(id, 'put', { table: 'ref', record: { id: key, pad: 'p'.repeat(pad) } });
    if (bytes.length === size) return bytes;
    if (bytes.length > size) break;
  }
  throw new Error(`no put of exactly ${size} bytes`);
}

describe('a live daemon fed bad input over raw sockets', () => {
  let daemon: DaemonHandle;
  let observer: Client;

  before(async () => {
    ({ daemon, observer } = await startWithReference());
  });

  after(async () => {
    observer?.close();
    await cleanup(daemon);
  });

  it('answers an unknown method with ENOTFOUND and keeps serving the connection', async () => {
    await withRaw(daemon, async (raw) => {
      const response = await raw.call(1, 'no_such_method', {});
      assert.equal(codeOf(response), 'ENOTFOUND');
      assert.match((response.error as { message: string }).message, /no_such_method/);
      assert.equal(codeOf(await raw.call(2, '__proto__', {})), 'ENOTFOUND');
      assert.equal(codeOf(await raw.call(3, 'constructor', {})), 'ENOTFOUND');
      assert.equal(codeOf(await raw.call(4, 'toString', {})), 'ENOTFOUND');
      assert.deepEqual(await raw.ok(5, 'ping', {}), { pong: true });
    });
    await assertServing(daemon, observer);
  });

  it('answers params of the wrong type with EINVAL naming the field, on a connection that stays usable', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['get', { table: 5, key: 'k' }, /params\.table/],
      ['get', { table: 'ref' }, /params\.key/],
      ['get', { table: 'ref', key: 'r1', extra: 1 }, /unknown field "extra"/],
      ['put', { table: 'ref', record: 'not a map' }, /params\.record/],
      ['put', { table: 'ref', record: ['id', 'x'] }, /params\.record/],
      ['put', { table: 'ref', record: Uint8Array.of(1) }, /params\.record/],
      ['put_many', { table: 'ref', records: { id: 'x' } }, /params\.records/],
      ['create_table', { name: 'bad name!', attributes: ['id'] }, /params\.name/],
      ['create_table', { name: 'ok', attributes: 'id' }, /params\.attributes/],
      ['create_table', { name: 'ok', attributes: [] }, /params\.attributes/],
      ['create_table', { name: 'ok', attributes: ['id'], replicate: 'everywhere' }, /params\.replicate/],
      ['all', { table: 'ref', limit: 0 }, /params\.limit/],
      ['all', { table: 'ref', limit: 1.5 }, /params\.limit/],
      ['all', { table: 'ref', limit: '10' }, /params\.limit/],
      ['all', { table: 'ref', cursor: 'not-a-cursor' }, /cursor/],
      ['match', { table: 'ref', pattern: [1] }, /params\.pattern/],
      ['match', { table: 'ref', pattern: { n: { $bogus: 1 } } }, /\$bogus/],
      ['match', { table: 'ref', pattern: { name: { $prefix: 5 } } }, /\$prefix/],
      ['ping', 'a string', /must be a map/],
      ['ping', 42, /must be a map/],
      ['ping', [1], /must be a map/],
      ['get', [{ table: 'ref', key: 'r1' }, {}], /must be a map/],
    ];
    await withRaw(daemon, async (raw) => {
      cases.forEach(([method, params], index) => raw.sendRequest(100 + index, method, params));
      for (const [index, [method, params, pattern]] of cases.entries()) {
        const response = await raw.response(100 + index);
        assert.equal(codeOf(response), 'EINVAL', `${method} ${show(params)}`);
        assert.match((response.error as { message: string }).message, pattern, `${method} ${show(params)}`);
      }
      assert.deepEqual(await raw.ok(1, 'ping', {}), { pong: true });
    });
    await assertServing(daemon, observer);
  });

  it('accepts params as a one-element array holding a map, as generic msgpack-rpc clients send them', async () => {
    await withRaw(daemon, async (raw) => {
      assert.deepEqual(await raw.ok(1, 'get', [{ table: 'ref', key: 'r1' }]), { record: REF });
      assert.deepEqual(await raw.ok(2, 'put', [{ table: 'ref', record: { id: 'arr', n: 1 } }]), { ok: true });
      assert.deepEqual(await raw.ok(3, 'get', [{ table: 'ref', key: 'arr' }]), { record: { id: 'arr', n: 1 } });
      assert.deepEqual(await raw.ok(4, 'ping', []), { pong: true });
      assert.deepEqual(await raw.ok(5, 'ping', null), { pong: true });
      assert.deepEqual(await raw.ok(6, 'ping', [{}]), { pong: true });
    });
    await assertServing(daemon, observer);
  });

  it('answers every method on a missing table with ENOTFOUND', async () => {
    await withRaw(daemon, async (raw) => {
      const calls: [string, unknown][] = [
        ['get', { table: 'nope', key: 'k' }],
        ['put', { table: 'nope', record: { id: 'k' } }],
        ['put_many', { table: 'nope', records: [{ id: 'k' }] }],
        ['delete', { table: 'nope', key: 'k' }],
        ['match', { table: 'nope', pattern: {} }],
        ['all', { table: 'nope' }],
        ['drop_table', { name: 'nope' }],
      ];
      for (const [index, [method, params]] of calls.entries()) {
        const response = await raw.call(index + 1, method, params);
        assert.equal(codeOf(response), 'ENOTFOUND', method);
        assert.match((response.error as { message: string }).message, /nope/);
      }
    });
    await assertServing(daemon, observer);
  });

  it('answers a bad key with EINVAL and takes string and integer keys', async () => {
    await withRaw(daemon, async (raw) => {
      const badKeys: MsgValue[] = [1.5, true, null, { a: 1 }, [1], Uint8Array.of(1), 2n ** 60n, 2 ** 53, NaN];
      let id = 1;
      for (const key of badKeys) {
        assert.equal(codeOf(await raw.call(id++, 'get', { table: 'ref', key })), 'EINVAL', `get ${show(key)}`);
        assert.equal(codeOf(await raw.call(id++, 'delete', { table: 'ref', key })), 'EINVAL', `delete ${show(key)}`);
        const put = await raw.call(id++, 'put', { table: 'ref', record: { id: key, n: 1 } });
        assert.equal(codeOf(put), 'EINVAL', `put ${show(key)}`);
      }
      const missing = await raw.call(id++, 'put', { table: 'ref', record: { name: 'no key' } });
      assert.equal(codeOf(missing), 'EINVAL');
      assert.match((missing.error as { message: string }).message, /record\.id/);
      const many = await raw.call(id++, 'put_many', { table: 'ref', records: [{ id: 'ok' }, { id: 0.5 }] });
      assert.equal(codeOf(many), 'EINVAL');
      assert.match((many.error as { message: string }).message, /records\[1\]/);
      assert.deepEqual(
        await raw.ok(id++, 'get', { table: 'ref', key: 'ok' }),
        { record: null },
        'nothing half-written',
      );
      assert.deepEqual(await raw.ok(id++, 'put', { table: 'ref', record: { id: -42 } }), { ok: true });
      assert.deepEqual(await raw.ok(id++, 'get', { table: 'ref', key: -42 }), { record: { id: -42 } });
      assert.deepEqual(await raw.ok(id++, 'get', { table: 'ref', key: '' }), { record: null });
    });
    await assertServing(daemon, observer);
  });

  it('answers a duplicate create_table with EEXIST', async () => {
    await withRaw(daemon, async (raw) => {
      const response = await raw.call(1, 'create_table', { name: 'ref', attributes: ['id'] });
      assert.equal(codeOf(response), 'EEXIST');
    });
    await assertServing(daemon, observer);
  });

  describe('invalid msgpack', () => {
    it('0xc1 inside a request: EPROTO for its msgid, then the connection closes', async () => {
      await withRaw(daemon, async (raw) => {
        raw.send(Buffer.from([0x94, 0x00, 0x05, 0xc1]));
        const response = await raw.response(5);
        assert.equal(codeOf(response), 'EPROTO');
        assert.match((response.error as { message: string }).message, /0xc1/);
        await raw.waitClose();
      });
      await assertServing(daemon, observer);
    });

    it('garbage with no readable msgid: a protocol_error notification, then the connection closes', async () => {
      await withRaw(daemon, async (raw) => {
        raw.send(Buffer.from([0xc1, 0x00, 0x01]));
        const notification = await raw.notification();
        assert.equal(notification.method, 'protocol_error');
        assert.equal(errorCode(notification.params), 'EPROTO');
        await raw.waitClose();
      });
      await assertServing(daemon, observer);
    });

    it('garbage after good requests in the same write: each good one answered once, the bad one by its own msgid', async () => {
      await withRaw(daemon, async (raw) => {
        raw.send(
          Buffer.concat([
            request(1, 'ping', {}),
            request(2, 'get', { table: 'ref', key: 'r1' }),
            Buffer.from([0x94, 0x00, 0x05, ...str('ping'), 0x81, 0xc1]),
          ]),
        );
        await raw.waitClose();
        assert.deepEqual(
          raw.received,
          [
            [1, 1, null, { pong: true }],
            [1, 2, null, { record: REF }],
            [1, 5, { code: 'EPROTO', message: '0xc1 is not a MessagePack type byte.' }, null],
          ],
          show(raw.received),
        );
      });
      await withRaw(daemon, async (raw) => {
        // The bad message starts in one read (the ping's answer proves it was read) and turns bad in the next.
        raw.send(Buffer.concat([request(1, 'ping', {}), Buffer.from([0x94, 0x00, 0xcd, 0x12, 0x34, ...str('ping')])]));
        assert.deepEqual((await raw.response(1)).result, { pong: true });
        raw.send(Buffer.from([0x81, 0xc1]));
        assert.equal(codeOf(await raw.response(0x1234)), 'EPROTO');
        await raw.waitClose();
        assert.equal(raw.received.length, 2, show(raw.received));
      });
      await withRaw(daemon, async (raw) => {
        // Garbage right after a good request, with no msgid of its own.
        raw.send(Buffer.concat([request(7, 'ping', {}), Buffer.from([0xc1])]));
        await raw.waitClose();
        assert.deepEqual(raw.received[0], [1, 7, null, { pong: true }]);
        assert.equal(raw.received.length, 2, show(raw.received));
        assert.deepEqual((raw.received[1] as MsgValue[]).slice(0, 2), [2, 'protocol_error']);
      });
      await assertServing(daemon, observer);
    });

    it('values the decoder refuses (unknown extension, non-string map key) get EPROTO and the connection stays open', async () => {
      await withRaw(daemon, async (raw) => {
        // [0, 6, "ping", {"x": fixext1 type 5}]
        raw.send(Buffer.from([0x94, 0x00, 0x06, ...str('ping'), 0x81, ...str('x'), 0xd4, 0x05, 0x00]));
        assert.equal(codeOf(await raw.response(6)), 'EPROTO');
        // [0, 7, "ping", {nil: 1}]
        raw.send(Buffer.from([0x94, 0x00, 0x07, ...str('ping'), 0x81, 0xc0, 0x01]));
        assert.equal(codeOf(await raw.response(7)), 'EPROTO');
        // [0, 8, "ping", {[]: 1}]
        raw.send(Buffer.from([0x94, 0x00, 0x08, ...str('ping'), 0x81, 0x90, 0x01]));
        assert.equal(codeOf(await raw.response(8)), 'EPROTO');
        assert.deepEqual(await raw.ok(9, 'ping', {}), { pong: true });
      });
      await assertServing(daemon, observer);
    });

    it('messages that are msgpack but not requests get EPROTO and the connection stays open', async () => {
      await withRaw(daemon, async (raw) => {
        const noId: unknown[] = ['hello', 42, { a: 1 }, [1, 2, null, null], [2, 'x', {}], [0, 'x', 'ping', {}]];
        noId.push([0, -1, 'ping', {}], [0, 2 ** 40, 'ping', {}], [0, 1.5, 'ping', {}], []);
        for (const message of noId) {
          raw.send(Buffer.from(referenceEncode(message)));
          const notification = await raw.notification();
          assert.equal(notification.method, 'protocol_error', show(message));
          assert.equal(errorCode(notification.params), 'EPROTO', show(message));
        }
        // A request with a readable msgid but the wrong shape is answered by that msgid.
        raw.send(referenceEncode([0, 10, 'ping']));
        assert.equal(codeOf(await raw.response(10)), 'EPROTO');
        raw.send(referenceEncode([0, 11, 42, {}]));
        assert.equal(codeOf(await raw.response(11)), 'EPROTO');
        raw.send(referenceEncode([0, 12, 'ping', {}, 'extra']));
        assert.equal(codeOf(await raw.response(12)), 'EPROTO');
        assert.deepEqual(await raw.ok(13, 'ping', {}), { pong: true });
        assert.equal(raw.pendingResponses().size, 0, 'no stray responses');
      });
      await assertServing(daemon, observer);
    });
  });

  it(`refuses a message over the default limit of 16 MiB with ETOOBIG and reads on in sync`, async () => {
    await withRaw(daemon, async (raw) => {
      const huge = request(9, 'put', { table: 'ref', record: { id: 'huge', v: new Uint8Array(16 * MiB) } });
      assert.ok(huge.length > 16 * MiB);
      raw.send(Buffer.concat([huge, request(10, 'ping', {})]));
      const response = await raw.response(9);
      assert.equal(codeOf(response), 'ETOOBIG');
      assert.match((response.error as { message: string }).message, /16777216/);
      assert.deepEqual(await raw.response(10), { id: 10, error: null, result: { pong: true } });
      assert.deepEqual(await raw.ok(11, 'get', { table: 'ref', key: 'huge' }), { record: null });
      // Just under the limit is fine.
      const big = request(12, 'put', { table: 'ref', record: { id: 'big', v: new Uint8Array(16 * MiB - 100) } });
      assert.ok(big.length <= 16 * MiB);
      raw.send(big);
      assert.deepEqual((await raw.response(12)).result, { ok: true });
    });
    await assertServing(daemon, observer);
  });

  it('survives clients that disconnect in the middle of a message', async () => {
    const put = request(1, 'put', { table: 'ref', record: { id: 'half', v: 'x'.repeat(1000) } });
    for (const cut of [1, 2, 5, put.length >> 1, put.length - 1]) {
      await withRaw(daemon, async (raw) => {
        raw.send(put.subarray(0, cut));
        raw.destroy();
        await raw.waitClose();
      });
    }
    // A whole request followed by half of one: the whole one is carried out even though nobody hears the answer.
    await withRaw(daemon, async (raw) => {
      raw.send(Buffer.concat([request(1, 'put', { table: 'ref', record: { id: 'whole' } }), put.subarray(0, 20)]));
      raw.end();
      await raw.waitClose();
    });
    await eventually(
      async () =>
        show(await observer.request('get', { table: 'ref', key: 'whole' })) === show({ record: { id: 'whole' } }),
      'the whole put to be stored',
    );
    assert.deepEqual(await observer.request('get', { table: 'ref', key: 'half' }), { record: null });
    await assertServing(daemon, observer);
  });

  describe('keys __proto__, constructor and prototype', () => {
    const record = JSON.parse(
      '{"id": "proto", "__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}},' +
        ' "prototype": "p", "nested": {"__proto__": [1, 2], "list": [{"__proto__": null}]}}',
    ) as Record<string, MsgValue>;

    it('stores and returns them as plain data, through put, get, match and all', async () => {
      assert.ok(Object.hasOwn(record, '__proto__'));
      await withRaw(daemon, async (raw) => {
        assert.deepEqual(await raw.ok(1, 'put', { table: 'ref', record }), { ok: true });
        const { record: back } = (await raw.ok(2, 'get', { table: 'ref', key: 'proto' })) as {
          record: Record<string, MsgValue>;
        };
        assert.deepEqual(Object.keys(back), Object.keys(record));
        assert.ok(Object.hasOwn(back, '__proto__'));
        assert.equal(Object.getPrototypeOf(back), Object.prototype);
        assert.deepEqual({ ...(back['__proto__'] as object) }, { polluted: 'yes' });
        assert.equal(back['prototype'], 'p');
        assert.equal((back as { polluted?: unknown }).polluted, undefined);
        const nested = back['nested'] as Record<string, MsgValue>;
        assert.ok(Object.hasOwn(nested, '__proto__'));
        assert.deepEqual(nested['__proto__'], [1, 2]);
        assert.equal(show(back), show(record));
        const matched = (await raw.ok(3, 'match', { table: 'ref', pattern: { prototype: 'p' } })) as {
          records: MsgValue[];
        };
        assert.equal(show(matched.records), show([record]));
        const byProto = JSON.parse('{"__proto__": {"polluted": "yes"}}') as Record<string, MsgValue>;
        const matchedByProto = (await raw.ok(4, 'match', { table: 'ref', pattern: byProto })) as {
          records: MsgValue[];
        };
        assert.equal(show(matchedByProto.records), show([record]));
        assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      });
      await assertServing(daemon, observer);
    });

    it('treats them as field names in params: unknown fields, not prototypes', async () => {
      await withRaw(daemon, async (raw) => {
        // Were __proto__ to become the params' prototype, table and key would be inherited and the get would succeed.
        const sneaky = JSON.parse('{"__proto__": {"table": "ref", "key": "r1"}}') as Record<string, MsgValue>;
        const response = await raw.call(1, 'get', sneaky);
        assert.equal(codeOf(response), 'EINVAL');
        assert.match((response.error as { message: string }).message, /unknown field "__proto__"/);
        const constructor = await raw.call(2, 'ping', { constructor: 1 });
        assert.match((constructor.error as { message: string }).message, /unknown field "constructor"/);
        const prototype = await raw.call(3, 'ping', { prototype: {} });
        assert.match((prototype.error as { message: string }).message, /unknown field "prototype"/);
      });
      await assertServing(daemon, observer);
    });

    it('works with them as attribute names, as the key and as indexed attributes', async () => {
      await withRaw(daemon, async (raw) => {
        const created = await raw.call(1, 'create_table', {
          name: 'protos',
          attributes: ['__proto__', 'constructor', 'prototype'],
          indexes: ['constructor', 'prototype'],
        });
        assert.equal(created.error, null, show(created.error));
        const row = JSON.parse('{"__proto__": "k1", "constructor": "c", "prototype": 7}') as Record<string, MsgValue>;
        assert.deepEqual(await raw.ok(2, 'put', { table: 'protos', record: row }), { ok: true });
        const got = (await raw.ok(3, 'get', { table: 'protos', key: 'k1' })) as { record: Record<string, MsgValue> };
        assert.equal(show(got.record), show(row));
        assert.ok(Object.hasOwn(got.record, '__proto__'));
        const byConstructor = (await raw.ok(4, 'match', { table: 'protos', pattern: { constructor: 'c' } })) as {
          records: MsgValue[];
        };
        assert.equal(show(byConstructor.records), show([row]));
        const byPrototype = (await raw.ok(5, 'match', { table: 'protos', pattern: { prototype: { $gt: 5 } } })) as {
          records: MsgValue[];
        };
        assert.equal(show(byPrototype.records), show([row]));
        const missingKey = await raw.call(6, 'put', { table: 'protos', record: { constructor: 'no key' } });
        assert.equal(codeOf(missingKey), 'EINVAL');
        assert.deepEqual(await raw.ok(7, 'drop_table', { name: 'protos' }), { ok: true });
      });
      await assertServing(daemon, observer);
    });
  });

  describe('deeply nested values', () => {
    // A put wraps the record in two levels ([0, id, "put", {record: ...}]); match and all answer it in three.
    it('stores the deepest record a put accepts and returns it through get, match and all', async () => {
      // The request array, the params map and the record map, then the nested arrays.
      const accepted = MAX_REQUEST_DEPTH - 3;
      assert.ok(accepted >= 500, `only ${accepted} levels accepted`);
      await withRaw(daemon, async (raw) => {
        raw.sendRequest(1, 'put', { table: 'ref', record: { id: 'too-deep', v: nestedArrays(accepted + 1) } });
        const response = await raw.response(1);
        assert.equal(codeOf(response), 'EPROTO');
        assert.match((response.error as { message: string }).message, new RegExp(`${MAX_REQUEST_DEPTH} levels`));
        await raw.waitClose();
      });
      await withRaw(daemon, async (raw) => {
        const value = nestedArrays(accepted);
        assert.equal((await raw.call(1, 'create_table', { name: 'deep', attributes: ['id'] })).error, null);
        assert.deepEqual(await raw.ok(2, 'put', { table: 'deep', record: { id: 'd', v: value } }), { ok: true });
        const got = (await raw.ok(3, 'get', { table: 'deep', key: 'd' })) as { record: { v: MsgValue } };
        assert.equal(show(got.record.v), show(value));
        const matched = (await raw.ok(4, 'match', { table: 'deep', pattern: { id: 'd' } })) as { records: MsgValue[] };
        assert.equal(matched.records.length, 1);
        const all = (await raw.ok(5, 'all', { table: 'deep' })) as { records: MsgValue[] };
        assert.equal(all.records.length, 1);
        // The project's own client must be able to read those answers too.
        const matchedByClient = (await bounded(
          observer.request('match', { table: 'deep', pattern: { id: 'd' } }),
          'match',
        )) as {
          records: MsgValue[];
        };
        assert.equal(matchedByClient.records.length, 1);
        assert.deepEqual(await raw.ok(6, 'drop_table', { name: 'deep' }), { ok: true });
      });
      await assertServing(daemon, observer);
    });

    it('refuses nesting past the limit with EPROTO for its msgid, then closes that connection', async () => {
      await withRaw(daemon, async (raw) => {
        // [0, 3, "ping", {"v": MAX_DEPTH + 1 nested arrays}]
        const bytes = [0x94, 0x00, 0x03, ...str('ping'), 0x81, ...str('v'), ...nestedArrayBytes(MAX_DEPTH + 1)];
        raw.send(Buffer.from(bytes));
        const response = await raw.response(3);
        assert.equal(codeOf(response), 'EPROTO');
        assert.match((response.error as { message: string }).message, /nests deeper/);
        await raw.waitClose();
      });
      await withRaw(daemon, async (raw) => {
        // 100,000 levels: refused without exhausting the daemon's stack.
        raw.send(Buffer.from([0x94, 0x00, 0x04, ...str('ping'), 0x81, ...str('v')]));
        raw.send(Buffer.alloc(100_000, 0x91));
        assert.equal(codeOf(await raw.response(4)), 'EPROTO');
        await raw.waitClose();
      });
      await withRaw(daemon, async (raw) => {
        // An empty innermost container opens no level for the stream scanner, so the stream stays in sync;
        // the decoder still counts it and refuses the message, and the connection carries on.
        const levels = MAX_REQUEST_DEPTH - 2; // plus the request array and the params map: the limit exactly
        raw.send(
          Buffer.from([0x94, 0x00, 0x05, ...str('ping'), 0x81, ...str('v'), ...nestedArrayBytes(levels, [0x90])]),
        );
        assert.equal(codeOf(await raw.response(5)), 'EPROTO');
        assert.deepEqual(await raw.ok(6, 'ping', {}), { pong: true });
      });
      await assertServing(daemon, observer);
    });
  });

  it('answers 600 pipelined requests sent in one write, each exactly once, matched by msgid', async () => {
    await withRaw(daemon, async (raw) => {
      assert.equal((await raw.call(1, 'create_table', { name: 'pipe', attributes: ['id', 'n'] })).error, null);
      const expected = new Map<number, (response: { error: MsgValue; result: MsgValue }) => void>();
      const chunks: Buffer[] = [];
      // Unordered msgids across the whole range, including 0 and 2^32-1.
      const ids = [0, 0xffffffff, ...Array.from({ length: 598 }, (_, i) => 1_000 + ((i * 7_919) % 600_000) * 7)];
      assert.equal(new Set(ids).size, ids.length);
      ids.forEach((id, i) => {
        switch (i % 6) {
          case 0:
          case 3:
            chunks.push(request(id, 'put', { table: 'pipe', record: { id: `k${i}`, n: i } }));
            expected.set(id, (r) => assert.deepEqual(r, { error: null, result: { ok: true } }));
            break;
          case 1:
          case 4: {
            // Reads the put just before it: a read sees every write sent earlier on the connection,
            // although the put's own answer (after its group commit) may arrive later than the get's.
            const record = { id: `k${i - 1}`, n: i - 1 };
            chunks.push(request(id, 'get', [{ table: 'pipe', key: record.id }]));
            expected.set(id, (r) => assert.deepEqual(r, { error: null, result: { record } }));
            break;
          }
          case 2:
            chunks.push(request(id, 'ping', {}));
            expected.set(id, (r) => assert.deepEqual(r, { error: null, result: { pong: true } }));
            break;
          default:
            chunks.push(request(id, 'get', { table: 'nowhere', key: `k${i}` }));
            expected.set(id, (r) => assert.equal(codeOf(r), 'ENOTFOUND'));
        }
      });
      raw.send(Buffer.concat(chunks));
      await raw.responseCount(ids.length + 1);
      for (const [id, check] of expected) {
        const list = raw.pendingResponses().get(id);
        assert.equal(list?.length, 1, `msgid ${id} answered ${list?.length ?? 0} times`);
        check({ error: list[0]!.error, result: list[0]!.result });
      }
      const all = (await raw.ok(2, 'all', { table: 'pipe', limit: 1000 })) as { records: unknown[] };
      assert.equal(all.records.length, 200);
      assert.deepEqual(await raw.ok(3, 'drop_table', { name: 'pipe' }), { ok: true });
    });
    await assertServing(daemon, observer);
  });
});

describe('a live daemon with a small message limit (max_message_bytes 4096)', () => {
  let daemon: DaemonHandle;
  let observer: Client;

  before(async () => {
    ({ daemon, observer } = await startWithReference({ max_message_bytes: 4096 }));
  });

  after(async () => {
    observer?.close();
    await cleanup(daemon);
  });

  it('takes a message of exactly the limit and refuses one byte more with ETOOBIG, in one write', async () => {
    await withRaw(daemon, async (raw) => {
      const exact = putOfSize(1, 4096, 'exact');
      assert.equal(exact.length, 4096);
      raw.send(exact);
      assert.deepEqual(await raw.response(1), { id: 1, error: null, result: { ok: true } });
      const over = putOfSize(2, 4097, 'over');
      raw.send(Buffer.concat([over, request(3, 'ping', {})]));
      const response = await raw.response(2);
      assert.equal(codeOf(response), 'ETOOBIG');
      assert.match((response.error as { message: string }).message, /4096/);
      assert.deepEqual((await raw.response(3)).result, { pong: true });
      assert.deepEqual(await raw.ok(4, 'get', { table: 'ref', key: 'over' }), { record: null });
    });
    await assertServing(daemon, observer);
  });

  it('refuses an oversized message that arrives in pieces, once it passes the limit, and stays in sync', async () => {
    await withRaw(daemon, async (raw) => {
      // The first half rides with a ping; its answer proves the daemon holds a partial message.
      const over = putOfSize(2, 4097, 'pieces');
      raw.send(Buffer.concat([request(1, 'ping', {}), over.subarray(0, 2000)]));
      assert.deepEqual((await raw.response(1)).result, { pong: true });
      raw.send(over.subarray(2000));
      assert.equal(codeOf(await raw.response(2)), 'ETOOBIG');
      // A message exactly at the limit, also in two pieces, still fits.
      const exact = putOfSize(4, 4096, 'exact2');
      raw.send(Buffer.concat([request(3, 'ping', {}), exact.subarray(0, 1000)]));
      assert.deepEqual((await raw.response(3)).result, { pong: true });
      raw.send(exact.subarray(1000));
      assert.deepEqual((await raw.response(4)).result, { ok: true });
      // A 1 MiB message dribbled in 1 KiB writes: one ETOOBIG, early, and the stream stays in sync.
      const huge = request(5, 'put', { table: 'ref', record: { id: 'dribble', v: 'd'.repeat(MiB) } });
      for (let at = 0; at < huge.length; at += 1024) raw.send(huge.subarray(at, at + 1024));
      raw.send(request(6, 'ping', {}));
      assert.equal(codeOf(await raw.response(5)), 'ETOOBIG');
      assert.deepEqual((await raw.response(6)).result, { pong: true });
      assert.equal(raw.pendingResponses().size, 0, 'one answer per request');
    });
    await assertServing(daemon, observer);
  });

  it('an oversized message with no readable msgid gets a protocol_error notification', async () => {
    await withRaw(daemon, async (raw) => {
      raw.send(Buffer.concat([referenceEncode('s'.repeat(10_000)), request(1, 'ping', {})]));
      const notification = await raw.notification();
      assert.equal(notification.method, 'protocol_error');
      assert.equal(errorCode(notification.params), 'ETOOBIG');
      assert.deepEqual((await raw.response(1)).result, { pong: true });
    });
    await assertServing(daemon, observer);
  });
});

describe('a live daemon and clients that never read their answers', () => {
  let daemon: DaemonHandle;
  let observer: Client;
  const config = { high_water_bytes: 64 * 1024, max_output_bytes: 4 * MiB, stall_timeout_ms: 1000 };

  before(async () => {
    ({ daemon, observer } = await startWithReference(config));
    await observer.request('put', { table: 'ref', record: { id: '10k', v: 'x'.repeat(10_000) } });
    await observer.request('put', { table: 'ref', record: { id: '1m', v: 'y'.repeat(MiB) } });
  });

  after(async () => {
    observer?.close();
    await cleanup(daemon);
  });

  function peakRss(): number {
    const status = readFileSync(`/proc/${daemon.process.pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    assert.ok(match, 'no VmHWM in /proc/PID/status');
    return Number(match[1]) * 1024;
  }

  /** Pipelines `count` gets of `key` on a connection that does not read. */
  async function flood(key: string, count: number): Promise<RawClient> {
    const raw = await RawClient.open(daemon.socket);
    raw.socket.pause();
    raw.send(Buffer.concat(Array.from({ length: count }, (_, i) => request(i + 1, 'get', { table: 'ref', key }))));
    return raw;
  }

  it('a client that pipelines 3 MB of answers and reads them gets every one', async () => {
    await withRaw(daemon, async (raw) => {
      raw.send(
        Buffer.concat(Array.from({ length: 300 }, (_, i) => request(i + 1, 'get', { table: 'ref', key: '10k' }))),
      );
      await raw.responseCount(300);
      assert.equal(raw.pendingResponses().size, 300);
    });
    await assertServing(daemon, observer);
  });

  it(`disconnects a client whose unread answers stay over high_water_bytes for stall_timeout_ms`, async () => {
    const before = countOccurrences(daemon.stderr(), 'left its answers unread for 1000 ms');
    const raw = await flood('10k', 300); // about 3 MB of answers: over high water, under max_output_bytes
    try {
      await waitForLog(daemon, 'left its answers unread for 1000 ms', before);
      raw.socket.resume();
      await raw.waitClose();
      assert.ok(raw.bytesReceived < 300 * 10_000, `it still received ${raw.bytesReceived} bytes`);
    } finally {
      raw.destroy();
    }
    await assertServing(daemon, observer);
  });

  it('disconnects a client whose unread answers pass max_output_bytes, without buffering them all', async () => {
    const peakBefore = peakRss();
    const before = countOccurrences(daemon.stderr(), 'bytes of answers unread');
    const raw = await flood('1m', 300); // 300 MiB of answers, asked for in one 8 KiB write
    try {
      await waitForLog(daemon, 'bytes of answers unread', before);
      raw.socket.resume();
      await raw.waitClose();
      assert.ok(raw.bytesReceived < 300 * MiB, `it still received ${raw.bytesReceived} bytes`);
    } finally {
      raw.destroy();
    }
    const growth = peakRss() - peakBefore;
    assert.ok(growth < 100 * MiB, `the daemon's peak memory grew by ${Math.round(growth / MiB)} MiB`);
    await assertServing(daemon, observer);
  });
});
