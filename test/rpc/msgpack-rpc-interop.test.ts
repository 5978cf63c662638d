import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Session from 'msgpack5rpc';
import type { Client } from '../../src/client/client.js';
import { errorFromWire } from '../../src/protocol/errors.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { bounded } from '../protocol/raw-client.js';

interface Received {
  method: string;
  params: unknown;
}

/**
 * A msgpack-rpc client the project did not write: the npm package msgpack5rpc,
 * used as its README says (attach to a stream pair, request with an argument
 * array, notify, listen for notifications). Like most such libraries it sends
 * params by position and its `notify` as `[2, method, params]`.
 */
class GenericClient {
  readonly notifications: Received[] = [];
  private readonly session = new Session();
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    this.session.attach(socket, socket);
    this.session.on('notification', (method: string, params: unknown) => {
      this.notifications.push({ method, params });
      for (const wake of [...this.waiters]) wake();
    });
  }

  static open(path: string): Promise<GenericClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new GenericClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolves with the result; rejects with a CortexError made from the daemon's error map. */
  call(method: string, ...args: unknown[]): Promise<unknown> {
    return bounded(
      new Promise((resolve, reject) =>
        this.session.request(method, args, (error, result) =>
          error === null ? resolve(result) : reject(errorFromWire(error)),
        ),
      ),
      `the answer to ${method}`,
    );
  }

  notify(method: string, ...args: unknown[]): void {
    this.session.notify(method, args);
  }

  /** The first notification (received or to come) that passes `test`. */
  waitFor(test: (item: Received) => boolean, what: string): Promise<Received> {
    return bounded(
      new Promise<Received>((resolve) => {
        const check = (): void => {
          const found = this.notifications.find(test);
          if (found === undefined) return;
          this.waiters.delete(check);
          resolve(found);
        };
        this.waiters.add(check);
        check();
      }),
      what,
    );
  }

  close(): void {
    this.socket.destroy();
  }
}

async function rejectsWithCode(call: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(call, (error: { code?: unknown; message?: unknown }) => {
    assert.equal(error.code, code);
    assert.match(String(error.message), message);
    return true;
  });
}

describe('a generic msgpack-rpc client library (msgpack5rpc from npm) talking to a live daemon', () => {
  let daemon: DaemonHandle;
  let generic: GenericClient;
  let writer: Client;

  before(async () => {
    daemon = await startDaemon();
    generic = await GenericClient.open(daemon.socket);
    writer = await daemon.connect();
  });

  after(async () => {
    generic?.close();
    writer?.close();
    await cleanup(daemon);
  });

  it("calls with positional params, in each method's declared order", async () => {
    const created = (await generic.call('create_table', 'people', ['id', 'name', 'age'], ['name'])) as {
      table: { name: string; indexes: string[] };
    };
    assert.deepEqual([created.table.name, created.table.indexes], ['people', ['name']]);
    assert.deepEqual(await generic.call('put', 'people', { id: 'p1', name: 'ann', age: 31 }), { ok: true });
    assert.deepEqual(await generic.call('get', 'people', 'p1'), { record: { id: 'p1', name: 'ann', age: 31 } });
    assert.deepEqual(await generic.call('match', 'people', { name: 'ann' }, 10), {
      records: [{ id: 'p1', name: 'ann', age: 31 }],
      truncated: false,
    });
    // A nil leaves an optional param out: all(table, limit, cursor, versions).
    const page = (await generic.call('all', 'people', null, null, true)) as { records: unknown[]; versions: unknown[] };
    assert.deepEqual(page.records, [{ id: 'p1', name: 'ann', age: 31 }]);
    assert.equal(page.versions.length, 1);
    // The map form still works, wrapped in the argument array as these libraries send it.
    assert.deepEqual(await generic.call('get', { table: 'people', key: 'p1' }), {
      record: { id: 'p1', name: 'ann', age: 31 },
    });
    await rejectsWithCode(generic.call('get', 'people'), 'EINVAL', /params\.key/);
    await rejectsWithCode(generic.call('get', 'people', 'p1', 'extra'), 'EINVAL', /its params in order: table, key/);
    await rejectsWithCode(generic.call('ping', 1), 'EINVAL', /ping must be a map \(it takes no params\)/);
  });

  it('sends methods as notifications: each runs and none is answered; a misuse is said with protocol_error', async () => {
    for (let index = 0; index < 50; index++) generic.notify('put', 'people', { id: `n${index}`, age: index });
    generic.notify('delete', 'people', 'n0');
    // The same connection, afterwards: a read sees every write that came before it.
    const all = (await generic.call('all', 'people')) as { records: { id: string }[] };
    assert.deepEqual(
      all.records.map((record) => record.id).sort(),
      [...Array.from({ length: 49 }, (_, index) => `n${index + 1}`), 'p1'].sort(),
    );

    generic.notify('get', 'people', 'p1');
    const refused = await generic.waitFor((item) => item.method === 'protocol_error', 'protocol_error for get');
    assert.match(String((refused.params as { message: string }).message), /get only makes sense with its answer/);
    generic.notify('no_such_method');
    const unknown = await generic.waitFor(
      (item) => item.method === 'protocol_error' && /no_such_method/.test((item.params as { message: string }).message),
      'protocol_error for no_such_method',
    );
    assert.equal((unknown.params as { code: string }).code, 'EPROTO');

    // A failed notification is reported only to a connection that asked to hear of them.
    generic.notify('put', 'nope', { id: 'x' });
    // Its failure is settled before the next read: after this round trip, before the subscription.
    await generic.call('ping');
    assert.deepEqual(await generic.call('subscribe', 'notify:errors'), { ok: true, topic: 'notify:errors' });
    generic.notify('put', 'nope', { id: 'y' });
    const failed = await generic.waitFor((item) => item.method === 'notify_failed', 'notify_failed');
    assert.equal((failed.params as { method: string }).method, 'put');
    assert.equal((failed.params as { error: { code: string } }).error.code, 'ENOTFOUND');
    assert.equal(generic.notifications.filter((item) => item.method === 'notify_failed').length, 1);
    assert.match(daemon.stderr(), /the notification put failed: ENOTFOUND/);
  });

  it('subscribes by position, receives table_change notifications, and resumes after a seq', async () => {
    assert.deepEqual(await generic.call('subscribe', 'table:people'), { ok: true, topic: 'table:people' });
    await writer.call('put', { table: 'people', record: { id: 'p2', name: 'bob' } });
    const change = await generic.waitFor(
      (item) => item.method === 'table_change' && (item.params as { key: string }).key === 'p2',
      'the change of p2',
    );
    const { seq, record, op } = change.params as { seq: number; record: unknown; op: string };
    assert.deepEqual([op, record], ['put', { id: 'p2', name: 'bob' }]);

    generic.notify('unsubscribe', 'table:people');
    await generic.call('ping');
    await writer.call('put', { table: 'people', record: { id: 'p3' } });
    await generic.call('ping');
    assert.ok(!generic.notifications.some((item) => (item.params as { key?: string }).key === 'p3'));

    // From the seq of p2: p3 (written while unsubscribed) comes once, then live changes.
    const before = generic.notifications.length;
    assert.deepEqual(await generic.call('subscribe', 'table:people', seq), { ok: true, topic: 'table:people' });
    await writer.call('put', { table: 'people', record: { id: 'p4' } });
    await generic.waitFor((item) => (item.params as { key?: string }).key === 'p4', 'the change of p4');
    const keys = generic.notifications.slice(before).map((item) => (item.params as { key: string }).key);
    assert.deepEqual(keys, ['p3', 'p4']);
  });
});
