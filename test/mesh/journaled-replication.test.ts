import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

const TABLE = 'notes';
const PUTS = 20;

/** How many rows of the table are in the node's database file, read by a connection of this process. */
function committedRows(node: MeshNode): number {
  const db = new BetterSqlite3(node.dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT count(*) FROM "t_${TABLE}"`).pluck().get() as number;
  } finally {
    db.close();
  }
}

/** How many changes a node has that `peer` has not acknowledged yet (cluster_status commits what waits first). */
async function unacknowledged(node: MeshNode, peer: string): Promise<number | undefined> {
  const status = await node.client.call('cluster_status', {});
  return status.peers.find((entry) => entry.node === peer)?.lag.outbound;
}

/**
 * A put on a node with linked peers is journaled like any other: its link does
 * not make each turn a commit (reading the log to send it once committed every
 * put, 8x slower). It reaches the peers with the commit that takes it into the
 * database, within commit_interval_ms.
 */
describe('puts on a node with a linked peer', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;

  before(async () => {
    await mesh.init();
    // A commit interval long enough to look inside, and no commit when the puts pause (a test's puts
    // pause); heartbeats (each reads the log's head, which commits) and tombstone collection far outside it.
    const config = {
      commit_interval_ms: 3000,
      mesh_commit_quiet_ms: 0,
      mesh_heartbeat_ms: 60_000,
      mesh_gc_interval_ms: 3_600_000,
    };
    [a, b] = await Promise.all([mesh.start('a', { config }), mesh.start('b', { config })]);
    await a.connect(b);
    await a.client.call('create_table', { name: TABLE, attributes: ['id', 'text'], replicate: 'mesh' });
    // The table's creation sent, applied and acknowledged both ways: no bookkeeping commit is still to come.
    await eventually('b to acknowledge the table', async () =>
      (await unacknowledged(a, 'b')) === 0 ? true : undefined,
    );
    await eventually('a to acknowledge what b logged', async () =>
      (await unacknowledged(b, 'a')) === 0 ? true : undefined,
    );
  });
  after(() => mesh.cleanup());

  it('are journaled, not committed turn by turn, and reach the peer with the commit', async () => {
    for (let i = 0; i < PUTS; i++) {
      await a.client.call('put', { table: TABLE, record: { id: `n${i}`, text: `note ${i}` } });
    }
    assert.equal(committedRows(a), 0, 'every put was acknowledged from the journal, none committed yet');

    const count = await eventually('b to have every put', async () => {
      const { count } = await b.client.call('count', { table: TABLE });
      return count === PUTS ? count : undefined;
    });
    assert.equal(count, PUTS);
    assert.equal(committedRows(a), PUTS, 'sent once committed');
    assert.deepEqual((await b.client.call('get', { table: TABLE, key: 'n7' })).record, { id: 'n7', text: 'note 7' });
  });

  it('reach the peer after a kill -9 that came before their commit, from the journal', async () => {
    for (let i = 0; i < PUTS; i++) {
      await a.client.call('put', { table: TABLE, record: { id: `k${i}`, text: `kept ${i}` } });
    }
    assert.equal(committedRows(a), PUTS, 'only the puts of the test before are committed');
    await a.kill();
    a = await mesh.start('a');
    assert.equal(committedRows(a), 2 * PUTS, 'the start committed the journaled puts');
    await eventually('b to have the puts a acknowledged before it was killed', async () => {
      const { count } = await b.client.call('count', { table: TABLE });
      return count === 2 * PUTS ? true : undefined;
    });
    assert.deepEqual((await b.client.call('get', { table: TABLE, key: 'k19' })).record, { id: 'k19', text: 'kept 19' });
  });
});

/**
 * With peers linked, journaled puts are committed, and so sent, once none came
 * for mesh_commit_quiet_ms (2 ms), not only at the end of commit_interval_ms: a
 * lone put does not wait the whole interval to reach the peers.
 */
describe('a lone put on a node with a linked peer', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;

  before(async () => {
    await mesh.init();
    // An interval far longer than the test: only the quiet commit can send the put.
    const config = { commit_interval_ms: 60_000, mesh_heartbeat_ms: 60_000, mesh_gc_interval_ms: 3_600_000 };
    [a, b] = await Promise.all([mesh.start('a', { config }), mesh.start('b', { config })]);
    await a.connect(b);
    await a.client.call('create_table', { name: TABLE, attributes: ['id', 'text'], replicate: 'mesh' });
    await eventually('b to have the table', async () =>
      (await b.client.call('tables', {})).tables.some((table) => table.name === TABLE) ? true : undefined,
    );
  });
  after(() => mesh.cleanup());

  it('is committed once the puts pause, and reaches the peer long before the interval ends', async () => {
    await a.client.call('put', { table: TABLE, record: { id: 'lone', text: 'alone' } });
    // Within 20 s, against an interval of 60 s.
    const record = await eventually(
      'b to have the lone put',
      async () => (await b.client.call('get', { table: TABLE, key: 'lone' })).record ?? undefined,
      20_000,
    );
    assert.deepEqual(record, { id: 'lone', text: 'alone' });
    assert.equal(committedRows(a), 1);
  });
});
