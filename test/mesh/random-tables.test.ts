import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import type { TableListing } from '../../src/protocol/store-types.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

const SEED = Number(process.env['CORTEX_TABLES_SEED'] ?? 20251206);
const STEPS = Number(process.env['CORTEX_TABLES_STEPS'] ?? 300);
const NAMES = ['t0', 't1'] as const;

/** The last acknowledged operation on each key of one incarnation. */
type Model = Map<string, { op: 'put'; v: number } | { op: 'delete' }>;

/**
 * Random creations of two table names on three nodes that start apart, each
 * with its own t0 (so tables of one name are created apart and clash), puts, deletes, drops and
 * re-creations, with random links and cuts in a triangle a–b–c, then every link
 * made. Each
 * record says which incarnation it was written to. In the end:
 *
 * - nodes holding the same incarnation hold identical rows;
 * - each incarnation holds exactly what was written to it and not deleted: no
 *   table lost a record it did not delete, and none took a record of another
 *   (a clash never merges);
 * - no dropped incarnation is left anywhere, and every node holds some table of a
 *   name still alive somewhere;
 * - two linked nodes holding different tables of one name both mark the clash.
 *
 * Seeded: CORTEX_TABLES_SEED=N (and CORTEX_TABLES_STEPS) replays a run.
 */
describe(`random clashes, drops and re-creations across partitions (seed ${SEED})`, () => {
  const mesh = new TestMesh();
  const names = ['a', 'b', 'c'] as const;
  const links: [string, string][] = [
    ['a', 'b'],
    ['b', 'c'],
    ['a', 'c'],
  ];
  const linked = new Set<string>();
  const node = (name: string): MeshNode => mesh.node(name);

  // The nodes start apart, so the first tables of a name are made on several nodes; links come and go.
  before(async () => {
    await mesh.init();
    await Promise.all(names.map((name) => mesh.start(name)));
  });
  after(() => mesh.cleanup());

  const listing = async (name: string): Promise<Map<string, TableListing>> =>
    new Map((await node(name).client.call('tables', {})).tables.map((table) => [table.name, table]));
  const incarnationAt = async (name: string, table: string) => (await listing(name)).get(table)?.incarnation;
  const tolerated = (error: unknown) => {
    // A table dropped (or not yet arrived) between the test's look and its call.
    if (!['ENOTFOUND', 'EEXIST'].includes((error as { code?: string }).code ?? '')) throw error;
  };

  it('loses no record, merges no clash, and leaves no dropped table anywhere', async () => {
    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const models = new Map<string, Model>();
    /** `incarnation/key` written while the table changed under the call: not checked. */
    const unsure = new Set<string>();
    const log: string[] = [];
    // Every node makes its own t0 while apart: three tables of one name, at least.
    for (const name of names) {
      const created = await node(name).client.call('create_table', {
        name: 't0',
        attributes: ['k', 'v', 'inc', 'by'],
        replicate: 'mesh',
      });
      models.set(created.table.incarnation, new Map());
    }

    for (let step = 0; step < STEPS; step++) {
      const roll = random();
      const at = pick(names);
      const table = pick(NAMES);
      try {
        if (roll < 0.55) {
          const before = await incarnationAt(at, table);
          if (before === undefined) continue;
          const k = pick(keys);
          let op: 'put' | 'delete' | undefined;
          if (random() < 0.25) {
            if ((await node(at).client.call('delete', { table, key: k })).deleted) op = 'delete';
          } else {
            await node(at).client.call('put', { table, record: { k, v: step, inc: before, by: at } });
            op = 'put';
          }
          const now = await incarnationAt(at, table);
          if (now !== before) {
            unsure.add(`${before}/${k}`);
            if (now !== undefined) unsure.add(`${now}/${k}`);
          } else if (op !== undefined) {
            models.get(before)?.set(k, op === 'put' ? { op, v: step } : { op });
          }
          await delay(2);
        } else if (roll < 0.7) {
          if ((await incarnationAt(at, table)) !== undefined) continue;
          const created = await node(at).client.call('create_table', {
            name: table,
            attributes: ['k', 'v', 'inc', 'by'],
            replicate: 'mesh',
          });
          models.set(created.table.incarnation, new Map());
          log.push(`${step}: ${table} created on ${at} as ${created.table.incarnation}`);
        } else if (roll < 0.76) {
          const incarnation = await incarnationAt(at, table);
          if (incarnation === undefined) continue;
          await node(at).client.call('drop_table', { name: table });
          log.push(`${step}: ${table} (${incarnation}) dropped on ${at}`);
        } else {
          const [from, to] = pick(links);
          const id = `${from}-${to}`;
          if (linked.delete(id)) {
            await node(from).client.call('cluster_disconnect', { node: to });
            log.push(`${step}: ${id} cut`);
          } else {
            await node(from).client.call('cluster_connect', { node: node(to).address });
            linked.add(id);
            log.push(`${step}: ${id} linked`);
          }
        }
      } catch (error) {
        tolerated(error);
      }
    }

    for (const [from, to] of links) {
      if (!linked.has(`${from}-${to}`)) await node(from).client.call('cluster_connect', { node: node(to).address });
    }
    const context = () => `seed ${SEED}; events:\n${log.join('\n')}`;
    const holdings = await eventually(
      'every node to settle: same incarnation, same rows; a table of each live name everywhere; clashes marked',
      async () => {
        const held = await snapshot();
        return settled(held) ? held : undefined;
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${context()}`);
    });

    const dropped = new Set(names.flatMap((name) => droppedIncarnations(node(name))));
    for (const [name, tables] of holdings) {
      for (const [table, held] of tables) {
        assert.equal(
          dropped.has(held.incarnation),
          false,
          `${name} still holds dropped ${table} ${held.incarnation}; ${context()}`,
        );
        const model = models.get(held.incarnation);
        assert.ok(model, `${name} holds ${table} ${held.incarnation}, which nobody created; ${context()}`);
        const live = new Map(held.rows.map((row) => [row.k, row]));
        for (const [k, last] of model) {
          if (unsure.has(`${held.incarnation}/${k}`)) continue;
          if (last.op === 'delete') {
            assert.equal(live.has(k), false, `${name}: ${k} of ${held.incarnation} was deleted; ${context()}`);
          } else {
            assert.deepEqual(
              live.get(k)?.v,
              last.v,
              `${name}: ${k} of ${held.incarnation} lost its last put; ${context()}`,
            );
          }
        }
        for (const row of held.rows) {
          if (unsure.has(`${held.incarnation}/${row.k}`)) continue;
          assert.equal(
            row.inc,
            held.incarnation,
            `${name}: ${held.incarnation} holds a record of ${row.inc}; ${context()}`,
          );
          assert.ok(model.has(row.k), `${name}: ${held.incarnation} holds ${row.k}, never written to it; ${context()}`);
        }
      }
    }
    const logged = (pattern: RegExp) =>
      names.reduce((sum, name) => sum + (node(name).daemon.stderr().match(pattern) ?? []).length, 0);
    const clashes = logged(/mesh: table clash: /g);
    const rewinds = logged(/mesh: reading the log of \S+ again/g);
    console.log(
      `seed ${SEED}: ${models.size} tables created, ${dropped.size} dropped, ${clashes} clashes reported, ${rewinds} logs read again after a clash was resolved`,
    );
    assert.ok(models.size > 2, 'the run created tables more than once');
    assert.ok(dropped.size > 0, 'the run dropped tables');
    assert.ok(clashes > 0, 'the run made clashes');
  });

  interface Held {
    incarnation: string;
    clashes: string[];
    rows: { k: string; v: number; inc: string }[];
  }

  /** What each node holds now: per table name, its incarnation, the clashes it marks and its live rows. */
  async function snapshot(): Promise<Map<string, Map<string, Held>>> {
    const held = new Map<string, Map<string, Held>>();
    for (const name of names) {
      const tables = new Map<string, Held>();
      for (const [table, info] of await listing(name)) {
        const rows = node(name)
          .rows(table)
          .filter((row) => row.del === 0)
          .map((row) => JSON.parse(JSON.stringify(row.v)) as { k: string; v: number; inc: string });
        tables.set(table, {
          incarnation: info.incarnation,
          clashes: info.clashes.map((clash) => clash.incarnation),
          rows,
        });
      }
      held.set(name, tables);
    }
    return held;
  }

  function settled(held: Map<string, Map<string, Held>>): boolean {
    for (const table of NAMES) {
      const copies = names.map((name) => held.get(name)!.get(table));
      if (copies.every((copy) => copy === undefined)) continue;
      if (copies.some((copy) => copy === undefined)) return false;
      for (const mine of copies) {
        for (const other of copies) {
          if (mine!.incarnation === other!.incarnation) {
            if (JSON.stringify(mine!.rows) !== JSON.stringify(other!.rows)) return false;
          } else if (!mine!.clashes.includes(other!.incarnation)) return false;
        }
      }
    }
    return true;
  }
});

/** The incarnations a node knows were dropped, from its database file. */
function droppedIncarnations(meshNode: MeshNode): string[] {
  const db = new BetterSqlite3(meshNode.dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT incarnation FROM _dropped WHERE incarnation != ''").pluck().all() as string[];
  } finally {
    db.close();
  }
}
