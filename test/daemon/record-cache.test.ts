import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { eventually, type MeshNode, nextChange, TestMesh } from '../mesh/mesh-helpers.js';

/**
 * The daemon's record cache seen from clients: a get answers from memory once the record
 * was read, so each case reads a record twice (the second read is the cache's), changes
 * it another way, and reads it again: it must see the change at once.
 */
describe('the record cache, through the socket', () => {
  let daemon: DaemonHandle | undefined;
  let client: Client;

  before(async () => {
    daemon = await startDaemon({ config: { record_cache_mb: 1 } });
    client = await daemon.connect();
    await client.call('create_table', { name: 'kv', attributes: ['k', 'v'] });
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
  });

  const read = async (key: string) => (await client.call('get', { table: 'kv', key })).record;

  it('returns each put at once, and nothing once deleted', async () => {
    await client.call('put', { table: 'kv', record: { k: 'a', v: 1 } });
    assert.deepEqual(
      [await read('a'), await read('a')],
      [
        { k: 'a', v: 1 },
        { k: 'a', v: 1 },
      ],
    );
    await client.call('put', { table: 'kv', record: { k: 'a', v: 2 } });
    assert.deepEqual(await read('a'), { k: 'a', v: 2 });
    await client.call('put_many', { table: 'kv', records: [{ k: 'a', v: 3 }] });
    assert.deepEqual(await read('a'), { k: 'a', v: 3 });
    await client.call('delete', { table: 'kv', key: 'a' });
    assert.equal(await read('a'), null);
  });

  it('refuses a bound that is not a whole number of MiB at least 0, naming the setting', async () => {
    // startDaemon removes the home of a daemon that never listened.
    await assert.rejects(
      startDaemon({ config: { record_cache_mb: -1 } }),
      /before listening: .*record_cache_mb must be an integer from 0 to 65536, not number -1/s,
    );
  });
});

/**
 * A replicated write reaches the cache of the node it is applied on: b reads a record
 * (and caches it), a changes it, and once b announces the change, b's get returns the
 * new record, not the cached one.
 */
describe('the record cache and the mesh', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([mesh.start('a'), mesh.start('b')]);
    await a.connect(b);
    await a.client.call('create_table', { name: 'kv', attributes: ['k', 'v'], replicate: 'mesh' });
  });
  after(() => mesh.cleanup());

  const readOn = async (node: MeshNode, key: string) => (await node.client.call('get', { table: 'kv', key })).record;

  it("returns a's put on b once b has it, and nothing once a deleted it", async () => {
    await a.client.call('put', { table: 'kv', record: { k: 'x', v: 'first' } });
    await eventually('b to hold x', async () => ((await readOn(b, 'x')) !== null ? true : undefined));
    assert.deepEqual(await readOn(b, 'x'), { k: 'x', v: 'first' });
    await b.client.call('subscribe', { topic: 'table:kv' });

    const second = nextChange(b.client, (change) => change.key === 'x' && change.op === 'put');
    await a.client.call('put', { table: 'kv', record: { k: 'x', v: 'second' } });
    await second;
    assert.deepEqual(await readOn(b, 'x'), { k: 'x', v: 'second' });

    const deleted = nextChange(b.client, (change) => change.key === 'x' && change.op === 'delete');
    await a.client.call('delete', { table: 'kv', key: 'x' });
    await deleted;
    assert.equal(await readOn(b, 'x'), null);
  });
});
