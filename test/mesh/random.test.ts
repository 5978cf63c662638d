import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { seededRandom } from '../helpers/seeded-random.js';
import { eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

const SEED = Number(process.env['CORTEX_MESH_SEED'] ?? 20240611);
const STEPS = Number(process.env['CORTEX_MESH_STEPS'] ?? 400);

/**
 * Random puts and deletes on random nodes of a triangle a–b–c, with random
 * cluster_disconnects and reconnects and random restarts (kill -9 or SIGTERM),
 * then everything is healed. Every replica must end identical, row for row
 * (values, versions and tombstones), and a key whose last operation anywhere was
 * a put must hold that put everywhere.
 *
 * Seeded: CORTEX_MESH_SEED=N (and CORTEX_MESH_STEPS) replays a run.
 */
describe(`random operations, partitions and restarts (seed ${SEED})`, () => {
  const mesh = new TestMesh();
  const names = ['a', 'b', 'c'] as const;
  /** Each link is kept by the node that dialled it. */
  const links: [string, string][] = [
    ['a', 'b'],
    ['b', 'c'],
    ['a', 'c'],
  ];
  const linked = new Set<string>();
  const up = new Set<string>();

  before(async () => {
    await mesh.init();
    await Promise.all(names.map((name) => mesh.start(name)));
    for (const name of names) up.add(name);
    for (const [from, to] of links) {
      await mesh.node(from).connect(mesh.node(to));
      linked.add(`${from}-${to}`);
    }
    await mesh.node('a').client.call('create_table', { name: 'kv', attributes: ['k', 'v'], replicate: 'mesh' });
  });
  after(() => mesh.cleanup());

  it('ends with identical replicas', async () => {
    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const keys = Array.from({ length: 24 }, (_, i) => `k${i}`);
    /** The last acknowledged operation per key, across all nodes. */
    const last = new Map<string, { op: 'put' | 'delete'; v: number; node: string }>();
    const node = (name: string): MeshNode => mesh.node(name);
    const log: string[] = [];

    for (let step = 0; step < STEPS; step++) {
      const roll = random();
      if (roll < 0.86) {
        const name = pick([...up]);
        const k = pick(keys);
        // The table reaches a node with its first record; until then writing there is refused.
        try {
          if (random() < 0.3) {
            const { deleted } = await node(name).client.call('delete', { table: 'kv', key: k });
            // Deleting a key this node does not hold changes nothing anywhere.
            if (deleted) last.set(k, { op: 'delete', v: step, node: name });
          } else {
            await node(name).client.call('put', { table: 'kv', record: { k, v: step, by: name } });
            last.set(k, { op: 'put', v: step, node: name });
          }
        } catch (error) {
          if ((error as { code?: string }).code !== 'ENOTFOUND') throw error;
        }
        // Writes a few ms apart: the later one has the higher hybrid clock on this machine.
        await delay(2);
      } else if (roll < 0.95) {
        const [from, to] = pick(links);
        const id = `${from}-${to}`;
        if (!up.has(from)) continue;
        if (linked.has(id)) {
          await node(from).client.call('cluster_disconnect', { node: to });
          linked.delete(id);
          log.push(`${step}: ${id} cut`);
        } else if (up.has(to)) {
          await node(from).client.call('cluster_connect', { node: node(to).address });
          linked.add(id);
          log.push(`${step}: ${id} linked`);
        }
      } else {
        const name = pick(names.filter((candidate) => up.has(candidate)));
        if (random() < 0.5) await node(name).kill();
        else await node(name).stop();
        up.delete(name);
        await mesh.start(name);
        up.add(name);
        log.push(`${step}: ${name} restarted`);
      }
    }

    // Heal: every link back. Links that were cut are restored by the node that dialled them.
    for (const [from, to] of links) {
      if (!linked.has(`${from}-${to}`)) await node(from).client.call('cluster_connect', { node: node(to).address });
    }
    const rows = await eventually(
      'identical replicas (rows, versions, tombstones)',
      () => {
        const dumps = names.map((name) => JSON.stringify(node(name).rows('kv')));
        return dumps.every((dump) => dump === dumps[0]) ? node('a').rows('kv') : undefined;
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nseed ${SEED}; events:\n${log.join('\n')}`);
    });
    for (const [k, operation] of last) {
      if (operation.op !== 'put') continue;
      const row = rows.find((candidate) => candidate.k === k);
      assert.deepEqual(
        row?.v,
        { k, v: operation.v, by: operation.node },
        `seed ${SEED}: the last put of ${k} (step ${operation.v} on ${operation.node}) must win`,
      );
    }
    assert.ok(rows.length > 0);
  });
});
