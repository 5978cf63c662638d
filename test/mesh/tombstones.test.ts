import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { runCortex } from '../helpers/cli.js';
import { converged, eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

const GRACE_MS = 1200;

/**
 * Deletes must not come back. Tombstones are collected only once every peer
 * that holds the table acknowledged them and the grace period passed; a node
 * that was away longer than the grace period is no longer waited for, and when
 * it returns it gets a full resync, which deletes what it still held, instead of
 * handing the deleted records back. Restoring a backup (made before a delete)
 * does not bring a deleted record back either, before or after collection.
 */
describe('tombstones, their collection, and a node away too long', () => {
  const mesh = new TestMesh();
  const config = { tombstone_grace_ms: GRACE_MS };
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;
  let backup: string;

  before(async () => {
    await mesh.init();
    [a, b, c] = await Promise.all([
      mesh.start('a', { config }),
      mesh.start('b', { config }),
      mesh.start('c', { config }),
    ]);
    await a.connect(b);
    await a.connect(c);
    backup = join(mesh.root, 'kv.jsonl');
  });
  after(() => mesh.cleanup());

  const live = (node: MeshNode) =>
    node
      .rows('kv')
      .filter((row) => row.del === 0)
      .map((row) => row.k);
  const cli = (node: MeshNode, ...args: string[]) => runCortex(['--home', node.daemon.home, ...args]);

  it('keeps a tombstone that a linked peer has not acknowledged, past the grace period', async () => {
    await a.client.call('create_table', { name: 'kv', attributes: ['k', 'v'], replicate: 'mesh' });
    await a.client.call('put_many', {
      table: 'kv',
      records: ['w', 'x', 'y', 'z'].map((k) => ({ k, v: 1 })),
    });
    await converged([a, b, c], 'kv');
    // b is frozen: still a peer, but it cannot acknowledge anything.
    b.daemon.process.kill('SIGSTOP');
    try {
      await a.client.call('delete', { table: 'kv', key: 'w' });
      await eventually('c to hold the tombstone', () =>
        c.rows('kv').find((row) => row.k === 'w')?.del === 1 ? true : undefined,
      );
      await delay(GRACE_MS + 400);
      assert.equal(a.rows('kv').find((row) => row.k === 'w')?.del, 1, 'a keeps the tombstone b has not acknowledged');
    } finally {
      b.daemon.process.kill('SIGCONT');
    }
    await eventually('the tombstone collected everywhere once b acknowledged it', () =>
      [a, b, c].some((node) => node.rows('kv').some((row) => row.k === 'w')) ? undefined : true,
    );
  });

  it('lets a restored backup bring back no deleted record, before or after collection', async () => {
    const exported = await cli(a, 'export', 'kv', '--output', backup);
    assert.equal(exported.code, 0, exported.stderr);

    // c goes away before the delete, and stays away past the grace period. Just before,
    // cut off from a, it took a write that never left it.
    await a.client.call('cluster_disconnect', { node: 'c' });
    await c.client.call('put', { table: 'kv', record: { k: 'late', v: 2 } });
    await c.stop();
    await a.client.call('delete', { table: 'kv', key: 'x' });
    await eventually('b to hold the tombstone', () =>
      b.rows('kv').find((row) => row.k === 'x')?.del === 1 ? true : undefined,
    );

    // Restoring the backup now: the tombstone is newer than the backed-up record.
    const restored = await cli(a, 'import', backup);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(live(a), ['y', 'z']);

    await eventually('the tombstone collected on a and b', () =>
      a.rows('kv').some((row) => row.k === 'x') || b.rows('kv').some((row) => row.k === 'x') ? undefined : true,
    );
    assert.deepEqual(live(b), ['y', 'z']);
    // And after collection: the record is below the table's horizon, so it still stays deleted.
    const again = await cli(a, 'import', backup);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(live(a), ['y', 'z']);
    assert.equal(
      a.rows('kv').some((row) => row.k === 'x'),
      false,
    );
  });

  it('gives a node away longer than the grace period a full resync instead of taking its deleted records back', async () => {
    assert.deepEqual(live(c), ['late', 'x', 'y', 'z'], 'c still holds x, from before it went away');
    c = await mesh.start('c', { config });
    await a.client.call('cluster_connect', { node: c.address });
    // c's copy of x must go, and must not reach a or b; its own write, which a never saw, stays
    // (old as it is) and reaches everyone.
    await converged([a, b, c], 'kv');
    await eventually('x gone from c', () => (live(c).includes('x') ? undefined : true));
    for (const node of [a, b, c]) assert.deepEqual(live(node), ['late', 'y', 'z'], node.name);
    await eventually('c to log the resync', () =>
      /full resync from a done: 1 record\(s\) deleted there/.test(c.daemon.stderr()) ? true : undefined,
    );
    assert.match(a.daemon.stderr(), /linked with c \(outbound [^)]*\), sending it a full resync/);
    assert.match(c.daemon.stderr(), /linked with a \(inbound\), sending it a full resync/);
  });
});
