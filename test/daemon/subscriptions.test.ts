import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

describe('table subscriptions', () => {
  let daemon: DaemonHandle;
  let watcher: Client;
  let writer: Client;
  const received: [string, MsgValue][] = [];

  before(async () => {
    daemon = await startDaemon();
    watcher = await daemon.connect();
    writer = await daemon.connect();
    watcher.onNotification((method, params) => received.push([method, params]));
    await writer.call('create_table', { name: 'users', attributes: ['id', 'name'] });
  });
  after(async () => {
    watcher.close();
    writer.close();
    await cleanup(daemon);
  });

  it('notifies every committed put and delete, in order, with the record', async () => {
    assert.deepEqual(await watcher.call('subscribe', { topic: 'table:users' }), { ok: true, topic: 'table:users' });
    await writer.call('put', { table: 'users', record: { id: 'u1', name: 'alice' } });
    await writer.call('put_many', { table: 'users', records: [{ id: 'u2' }, { id: 'u3', name: 'carol' }] });
    await writer.call('delete', { table: 'users', key: 'u1' });
    await writer.call('delete', { table: 'users', key: 'never-existed' });
    // A round trip on the watcher's own connection: anything published before it has arrived.
    await watcher.call('ping', {});
    const changes = received.map(([method, params]) => {
      assert.equal(method, 'table_change');
      const change = params as { table: string; key: string; op: string; record: MsgValue; hlc: number; node: string };
      assert.equal(change.table, 'users');
      assert.equal(typeof change.hlc, 'number');
      return [change.op, change.key, change.record];
    });
    assert.deepEqual(changes, [
      ['put', 'u1', { id: 'u1', name: 'alice' }],
      ['put', 'u2', { id: 'u2' }],
      ['put', 'u3', { id: 'u3', name: 'carol' }],
      ['delete', 'u1', null],
    ]);
  });

  it('stops after unsubscribe, and refuses unknown topics and missing tables', async () => {
    received.length = 0;
    assert.deepEqual(await watcher.call('unsubscribe', { topic: 'table:users' }), { ok: true, subscribed: true });
    await writer.call('put', { table: 'users', record: { id: 'u9' } });
    await watcher.call('ping', {});
    assert.deepEqual(received, []);
    await assert.rejects(watcher.call('subscribe', { topic: 'weather:today' }), { code: 'EINVAL' });
    await assert.rejects(watcher.call('subscribe', { topic: 'table:nope' }), { code: 'ENOTFOUND' });
  });

  it('forgets the subscriptions of a connection that closed', async () => {
    const leaver = await daemon.connect();
    await leaver.call('subscribe', { topic: 'table:users' });
    const closed = new Promise<void>((resolve) => leaver.onClose(resolve));
    leaver.close();
    await closed;
    // The client's side closes at once; the daemon sees the end of the stream a moment
    // later, on another socket than the writer's: wait for it, within a deadline.
    const deadline = Date.now() + 5000;
    while ((await writer.call('status', {})).connections !== 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await writer.call('put', { table: 'users', record: { id: 'after-leave' } });
    // The daemon learns of the close when it reads the end of that stream; ask until it has (bounded).
    let connections = Infinity;
    for (let round = 0; round < 1000 && connections !== 2; round++) {
      connections = (await writer.call('status', {})).connections;
    }
    assert.equal(connections, 2);
  });
});
