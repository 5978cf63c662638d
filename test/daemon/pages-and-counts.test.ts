import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/** `all` with `reverse` (the last page first) and `count`, as the TUI's Data tab uses them, on a real daemon. */
describe('all in reverse, and count', () => {
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
    await client.call('create_table', { name: 'nums', attributes: ['id', 'v'] });
    await client.call('put_many', {
      table: 'nums',
      records: Array.from({ length: 25 }, (_, index) => ({ id: index, v: index * 2 })),
    });
    await client.call('delete', { table: 'nums', key: 24 });
  });

  after(async () => {
    client?.close();
    await cleanup(daemon);
  });

  it('pages from the last key backwards, and its cursor leads on to the first', async () => {
    const last = await client.call('all', { table: 'nums', limit: 10, reverse: true });
    assert.deepEqual(
      last.records.map((record) => record['id']),
      [23, 22, 21, 20, 19, 18, 17, 16, 15, 14],
      'the deleted key 24 is not there',
    );
    assert.ok(last.cursor !== null);
    const before = await client.call('all', { table: 'nums', limit: 10, reverse: true, cursor: last.cursor });
    assert.deepEqual(before.records[0]?.['id'], 13);
    const first = await client.call('all', { table: 'nums', limit: 10, reverse: true, cursor: before.cursor! });
    assert.deepEqual(
      first.records.map((record) => record['id']),
      [3, 2, 1, 0],
    );
    assert.equal(first.cursor, null);
  });

  it('counts the live records, and refuses versions in reverse with a sentence', async () => {
    assert.deepEqual(await client.call('count', { table: 'nums' }), { count: 24 });
    await assert.rejects(client.call('all', { table: 'nums', reverse: true, versions: true }), {
      code: 'EINVAL',
      message: 'versions are returned only in key order, not with reverse.',
    });
    await assert.rejects(client.call('count', { table: 'missing' }), { code: 'ENOTFOUND' });
  });

  it('refuses the count and the last page of a table to an identity without read access', async () => {
    const { token } = await client.call('token_create', { name: 'stranger' });
    const stranger = await daemon.connect();
    try {
      await stranger.call('auth', { token });
      await assert.rejects(stranger.call('count', { table: 'nums' }), { code: 'EACCES' });
      await assert.rejects(stranger.call('all', { table: 'nums', reverse: true }), { code: 'EACCES' });
    } finally {
      stranger.close();
    }
  });
});
