import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { MeshEvent } from '../../src/protocol/mesh-types.js';
import { converged, eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

type Row = ReturnType<MeshNode['rows']>[number];

/** The row that last-writer-wins must keep: the higher (hlc, node). */
function winner(x: Row | undefined, y: Row | undefined): Row | undefined {
  if (x === undefined) return y;
  if (y === undefined) return x;
  if (x.hlc !== y.hlc) return x.hlc > y.hlc ? x : y;
  return x.node > y.node ? x : y;
}

/**
 * A partition and its healing: a and b are cut apart (cluster_disconnect), both
 * write the same keys (puts and deletes), then they link again. Anti-entropy
 * from the per-peer checkpoints must leave both with identical tables, every key
 * holding the version with the higher hlc, and the merge must be reported (log
 * and `mesh:events`), as Mnesia reports inconsistent_database.
 */
describe('a partition between two daemons', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;
  const events: MeshEvent[] = [];

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([mesh.start('a'), mesh.start('b')]);
    await a.connect(b);
    await a.client.call('subscribe', { topic: 'mesh:events' });
    a.client.onNotification('mesh_event', (event) => events.push(event));
  });
  after(() => mesh.cleanup());

  it('heals to identical replicas where the higher hlc wins each key, and reports the conflicts', async () => {
    await a.client.call('create_table', { name: 'kv', attributes: ['k', 'v'], indexes: ['v'], replicate: 'mesh' });
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    await a.client.call('put_many', { table: 'kv', records: keys.map((k) => ({ k, v: 'initial' })) });
    await converged([a, b], 'kv');
    // A heartbeat after the copy: both now know they were in sync up to here.
    const synced = Date.now();
    await eventually('a heartbeat from b after the sync', async () => {
      const peer = (await a.client.call('cluster_status', {})).peers[0]!;
      return (peer.last_heartbeat ?? 0) > synced + 250 ? true : undefined;
    });

    await a.client.call('cluster_disconnect', { node: 'b' });
    await eventually('b to see the link down', async () =>
      (await b.client.call('cluster_status', {})).peers[0]!.state === 'disconnected' ? true : undefined,
    );
    // Interleave the two sides so neither is simply newer on every key.
    const writes: [MeshNode, string, string | null][] = [
      [a, 'k1', 'a1'],
      [b, 'k1', null],
      [b, 'k2', 'b2'],
      [a, 'k2', 'a2'],
      [a, 'k3', 'a3'],
      [b, 'k3', 'b3'],
      [a, 'k4', null],
      [b, 'k4', null],
      [b, 'k5', 'b5'],
      [a, 'k6', null],
      [b, 'fresh-b', 'new'],
      [a, 'fresh-a', 'new'],
    ];
    for (const [node, k, v] of writes) {
      if (v === null) await node.client.call('delete', { table: 'kv', key: k });
      else await node.client.call('put', { table: 'kv', record: { k, v } });
      // A few ms apart, so that on this one machine the later write has the higher clock.
      await delay(3);
    }
    // Partitioned: each side still has its own view.
    assert.equal((await a.client.call('get', { table: 'kv', key: 'k5' })).record!['v'], 'initial');
    assert.equal((await b.client.call('get', { table: 'kv', key: 'k6' })).record!['v'], 'initial');

    const before = { a: a.rows('kv'), b: b.rows('kv') };
    const expected = new Map<unknown, Row>();
    for (const k of new Set([...before.a, ...before.b].map((row) => row.k))) {
      expected.set(
        k,
        winner(
          before.a.find((row) => row.k === k),
          before.b.find((row) => row.k === k),
        )!,
      );
    }

    await a.client.call('cluster_connect', { node: b.address });
    const healed = await eventually('identical full dumps, tombstones included', () => {
      const [left, right] = [a.rows('kv'), b.rows('kv')];
      return JSON.stringify(left) === JSON.stringify(right) && left.length === expected.size ? left : undefined;
    });
    for (const row of healed) assert.deepEqual(row, expected.get(row.k), `key ${String(row.k)}`);
    assert.equal(healed.find((row) => row.k === 'k1')!.del, 1, 'b deleted k1 after a wrote it');
    assert.equal(healed.find((row) => row.k === 'k3')!.v !== null, true);
    assert.deepEqual(
      healed.filter((row) => row.del === 0).map((row) => row.k),
      ['fresh-a', 'fresh-b', 'k0', 'k10', 'k11', 'k2', 'k3', 'k5', 'k7', 'k8', 'k9'],
    );
    // The index agrees with the merged data on both sides.
    for (const node of [a, b]) {
      const { records } = await node.client.call('match', { table: 'kv', pattern: { v: 'b3' } });
      assert.deepEqual(records, [{ k: 'k3', v: 'b3' }], node.name);
      const initial = await node.client.call('match', { table: 'kv', pattern: { v: 'initial' } });
      assert.deepEqual(
        initial.records.map((record) => record['k']),
        ['k0', 'k10', 'k11', 'k7', 'k8', 'k9'],
        node.name,
      );
    }

    const conflict = await eventually('a conflict event on a', () => events.find((event) => event.type === 'conflict'));
    assert.equal(conflict.peer, 'b');
    const examples = (conflict.data as { examples: string[]; keys: number }).examples;
    for (const key of ['kv:k1', 'kv:k2', 'kv:k3', 'kv:k4']) assert.ok(examples.includes(key), key);
    assert.ok(!examples.includes('kv:k5'), 'a key written on one side only is no conflict');
    assert.match(a.daemon.stderr(), /inconsistent data merged: the link with b is back and 4 key\(s\)/);
    assert.match(b.daemon.stderr(), /inconsistent data merged: the link with a is back/);
  });
});
