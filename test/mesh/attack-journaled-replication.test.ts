import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import type { TableChange } from '../../src/protocol/notifications.js';
import { converged, eventually, type MeshNode, nextChange, TestMesh } from './mesh-helpers.js';

const TABLE = 'notes';
/** Far longer than any test here: a held put leaves only by a commit that something else made. */
const INTERVAL_MS = 60_000;
const CONFIG = { commit_interval_ms: INTERVAL_MS, mesh_heartbeat_ms: 60_000, mesh_gc_interval_ms: 3_600_000 };

/** The keys of the table's rows in the node's database file, read by a connection of this process. */
function committedKeys(node: MeshNode, table = TABLE): unknown[] {
  const db = new BetterSqlite3(node.dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT k FROM "t_${table}" WHERE del = 0 ORDER BY k`).pluck().all();
  } finally {
    db.close();
  }
}

/** The live keys of the table on a node, as it answers. */
async function keysOf(node: MeshNode, table = TABLE): Promise<unknown[]> {
  return (await node.records(table)).map((record) => (record as { id: unknown }).id);
}

/** Until `node` has a link up with every one of `peers`. */
async function linked(node: MeshNode, ...peers: MeshNode[]): Promise<void> {
  await eventually(`${node.name} to be linked with ${peers.map((peer) => peer.name).join(', ')}`, async () => {
    const { peers: status } = await node.client.call('cluster_status', {});
    const up = peers.every((peer) => status.some((entry) => entry.node === peer.name && entry.state === 'connected'));
    return up ? true : undefined;
  });
}

/** Until `node` has the record `key` of the table, within `ms` (shorter than the commit interval). */
function arrives(node: MeshNode, key: string, ms = 20_000): Promise<unknown> {
  return eventually(
    `${node.name} to have ${key}`,
    async () => (await node.client.call('get', { table: TABLE, key })).record ?? undefined,
    ms,
  );
}

/**
 * Attacks on a meshed node's journaled puts: they are sent once committed, and no
 * longer force a commit of each turn. Every acknowledged put must still reach every
 * node, whichever commit path took it into the file (a put's journaled turn, a delete,
 * put_many, create_table and drop_table, an import), relayed through a node whose own
 * puts are held, across a kill -9 before the commit, and for a key written again
 * while its older version waited to be sent. A commit_interval_ms of 60 s: only a
 * commit made by something else (the quiet commit of mesh_commit_quiet_ms, another
 * write) sends a put within a test.
 */
describe('journaled puts on a line a — b — c', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b, c] = await Promise.all([
      mesh.start('a', { config: CONFIG }),
      mesh.start('b', { config: CONFIG }),
      mesh.start('c', { config: CONFIG }),
    ]);
    await a.connect(b);
    await c.connect(b);
    await b.client.call('create_table', { name: TABLE, attributes: ['id', 'v'], replicate: 'mesh' });
    await eventually('a and c to have the table', async () => {
      const tables = await Promise.all([a, c].map((node) => node.client.call('tables', {})));
      return tables.every(({ tables }) => tables.some((table) => table.name === TABLE)) ? true : undefined;
    });
  });
  after(() => mesh.cleanup());

  it('puts on a and b, interleaved on b with every other commit path, reach every node', async () => {
    const onA = (async () => {
      for (let i = 0; i < 20; i++) await a.client.call('put', { table: TABLE, record: { id: `a${i}`, v: i } });
    })();
    const put = (id: string) => b.client.call('put', { table: TABLE, record: { id, v: 0 } });
    await put('b0');
    await put('b1');
    await b.client.call('delete', { table: TABLE, key: 'b1' });
    await put('b2');
    await b.client.call('put_many', { table: TABLE, records: [{ id: 'b3' }, { id: 'b4' }] });
    await put('b5');
    await b.client.call('create_table', { name: 'extra', attributes: ['id'], replicate: 'mesh' });
    await put('b6');
    await b.client.call('put', { table: 'extra', record: { id: 'e' } });
    await b.client.call('drop_table', { name: 'extra' });
    await put('b7');
    const { import: id } = await b.client.call('import_begin', {});
    await b.client.call('import_records', { import: id, table: TABLE, records: [{ id: 'imported', v: 1 }] });
    await b.client.call('import_commit', { import: id });
    // A lone put last: nothing after it commits but the quiet commit.
    await put('b8');
    await onA;

    const expected = [
      ...Array.from({ length: 20 }, (_, i) => `a${i}`),
      'b0',
      'b2',
      'b3',
      'b4',
      'b5',
      'b6',
      'b7',
      'b8',
      'imported',
    ].sort();
    const rows = await converged([a, b, c], TABLE, 20_000);
    assert.deepEqual(
      rows.map((row) => row.k),
      expected,
    );
    for (const node of [a, c]) {
      const { tables } = await node.client.call('tables', {});
      assert.equal(
        tables.some((table) => table.name === 'extra'),
        false,
        `${node.name} has the drop`,
      );
    }
  });

  it('a key written again and again on b while c writes through b ends with its last version everywhere', async () => {
    const onC = (async () => {
      for (let i = 0; i < 30; i++) await c.client.call('put', { table: TABLE, record: { id: `c${i}`, v: i } });
    })();
    for (let v = 0; v < 50; v++) await b.client.call('put', { table: TABLE, record: { id: 'hot', v } });
    await onC;
    const rows = await converged([a, b, c], TABLE, 20_000);
    assert.deepEqual(rows.find((row) => row.k === 'hot')?.v, { id: 'hot', v: 49 });
    assert.equal(rows.filter((row) => String(row.k).startsWith('c')).length, 30);
  });

  describe('with b committing only at the interval (mesh_commit_quiet_ms 0)', () => {
    before(async () => {
      await b.stop();
      b = await mesh.start('b', { config: { ...CONFIG, mesh_commit_quiet_ms: 0 } });
      await linked(b, a, c);
    });

    it("b's held puts and a's relayed ones reach a and c after a kill -9 of b before its commit", async () => {
      // a's puts reach b in batches that b commits as it applies them, and relays to c; b's own come after.
      for (let i = 0; i < 10; i++) await a.client.call('put', { table: TABLE, record: { id: `ak${i}`, v: i } });
      await arrives(c, 'ak9');
      for (let i = 0; i < 10; i++) await b.client.call('put', { table: TABLE, record: { id: `bk${i}`, v: i } });
      assert.equal(
        committedKeys(b).filter((key) => String(key).startsWith('bk')).length,
        0,
        "b's puts are held, not committed",
      );
      await b.kill();
      b = await mesh.start('b');
      assert.equal(committedKeys(b).filter((key) => String(key).startsWith('bk')).length, 10, 'replayed');
      const rows = await converged([a, b, c], TABLE, 20_000);
      const keys = rows.map((row) => String(row.k));
      for (let i = 0; i < 10; i++) {
        assert.ok(keys.includes(`ak${i}`), `ak${i} everywhere`);
        assert.ok(keys.includes(`bk${i}`), `bk${i} everywhere`);
      }
    });

    it('a table subscription replaying after a seq sees the puts held in the journal', async () => {
      const watcher = await b.daemon.connect();
      try {
        await watcher.call('subscribe', { topic: `table:${TABLE}` });
        const first = nextChange(watcher, (change) => change.key === 'before');
        await b.client.call('put', { table: TABLE, record: { id: 'before', v: 0 } });
        const { seq } = await first;
        await watcher.call('unsubscribe', { topic: `table:${TABLE}` });
        await b.client.call('put', { table: TABLE, record: { id: 'held', v: 1 } });
        assert.equal(committedKeys(b).includes('held'), false, 'held in the journal');
        const replayed = nextChange(watcher, (change: TableChange) => change.key === 'held');
        await watcher.call('subscribe', { topic: `table:${TABLE}`, after: seq });
        const change = await replayed;
        assert.deepEqual(change.record, { id: 'held', v: 1 });
        assert.ok(change.seq > seq);
      } finally {
        watcher.close();
      }
    });

    it('SIGTERM ends b promptly with its links up and puts held, and its puts are in its file', async () => {
      await linked(b, a, c);
      for (let i = 0; i < 5; i++) await b.client.call('put', { table: TABLE, record: { id: `term${i}`, v: i } });
      // Against the 60 s interval: a timer left by the held puts or the links would hold the process open.
      const ended = await Promise.race([b.stop().then(() => 'ended'), delay(20_000).then(() => 'still running')]);
      assert.equal(ended, 'ended');
      const keys = committedKeys(b);
      for (let i = 0; i < 5; i++) assert.ok(keys.includes(`term${i}`), `term${i} committed on the way out`);
    });
  });
});

/**
 * With links going 1 → 0 → 1, the quiet commit follows: a lone put is sent within
 * mesh_commit_quiet_ms while a peer is linked, and one held while none was reaches
 * the peer once a link comes back, on the side that dialled and on the side dialled.
 */
describe('journaled puts as links come and go', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([mesh.start('a', { config: CONFIG }), mesh.start('b', { config: CONFIG })]);
    await a.connect(b);
    await a.client.call('create_table', { name: TABLE, attributes: ['id', 'v'], replicate: 'mesh' });
    await eventually('b to have the table', async () =>
      (await b.client.call('tables', {})).tables.some((table) => table.name === TABLE) ? true : undefined,
    );
  });
  after(() => mesh.cleanup());

  it('a lone put leaves within the quiet wait while linked', async () => {
    await a.client.call('put', { table: TABLE, record: { id: 'linked', v: 1 } });
    assert.deepEqual(await arrives(b, 'linked'), { id: 'linked', v: 1 });
  });

  it('puts held while unlinked reach the peer once the link is back, on both sides', async () => {
    await a.client.call('cluster_disconnect', { node: 'b' });
    await eventually('b to see the link down', async () => {
      const { peers } = await b.client.call('cluster_status', {});
      return peers.every((peer) => peer.state !== 'connected') ? true : undefined;
    });
    await a.client.call('put', { table: TABLE, record: { id: 'fromA', v: 2 } });
    await b.client.call('put', { table: TABLE, record: { id: 'fromB', v: 3 } });
    assert.equal(committedKeys(a).includes('fromA'), false, 'held on a, with no link');
    assert.equal(committedKeys(b).includes('fromB'), false, 'held on b, with no link');
    await a.connect(b);
    assert.deepEqual(await arrives(b, 'fromA'), { id: 'fromA', v: 2 });
    assert.deepEqual(await arrives(a, 'fromB'), { id: 'fromB', v: 3 });
  });

  it('a lone put leaves within the quiet wait again once relinked', async () => {
    await b.client.call('put', { table: TABLE, record: { id: 'relinked', v: 4 } });
    assert.deepEqual(await arrives(a, 'relinked'), { id: 'relinked', v: 4 });
    assert.deepEqual((await keysOf(a)).sort(), ['fromA', 'fromB', 'linked', 'relinked']);
  });
});

/**
 * A full resync must not delete on the peer a record that was never deleted. The
 * resync ends with a purge there: what this node did not send, and that lies below
 * its tombstone horizon, is taken as deleted. The sender skips an entry whose row
 * was written again since (it sends the newer version at its own seq), but the newer
 * version is only sent once committed: held in the journal, it must not let the
 * resync end without it.
 */
describe('a full resync while a put of an old key is held', () => {
  const mesh = new TestMesh();
  const ROWS = 40_000;
  const GRACE_MS = 1000;
  // No heartbeat (each commits) within the test: lastSeen is then the time a link opened.
  const quiet = { tombstone_grace_ms: GRACE_MS, mesh_heartbeat_ms: 60_000 };
  let a: MeshNode;
  let b: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([
      mesh.start('a', { config: { ...quiet, mesh_gc_interval_ms: 100 } }),
      // b keeps its tombstones: with a horizon of its own, its resync to a would send a's rows back, each batch a commit there.
      mesh.start('b', { config: { ...quiet, mesh_gc_interval_ms: 3_600_000 } }),
    ]);
    await b.connect(a);
    await a.client.call('create_table', { name: TABLE, attributes: ['id', 'v'], replicate: 'mesh' });
    for (let from = 0; from < ROWS; from += 10_000) {
      const records = Array.from({ length: 10_000 }, (_, i) => ({ id: `r${from + i}`, v: from + i }));
      await a.client.call('put_many', { table: TABLE, records });
    }
    // The old key is the log's last entry but the tombstone, whose collection puts the horizon past it.
    await a.client.call('put', { table: TABLE, record: { id: 'old', v: 1 } });
    await a.client.call('put', { table: TABLE, record: { id: 'gone', v: 1 } });
    await a.client.call('delete', { table: TABLE, key: 'gone' });
    await eventually('b to have every row and the tombstone', () =>
      b.rows(TABLE).find((row) => row.k === 'gone')?.del === 1 && b.rows(TABLE).length === ROWS + 2 ? true : undefined,
    );
    await b.client.call('cluster_disconnect', { node: 'a' });
    await eventually('a to collect the tombstone', () =>
      a.rows(TABLE).some((row) => row.k === 'gone') ? undefined : true,
    );
    // From now on a commits only at the interval, or when something else commits.
    await a.stop();
    a = await mesh.start('a', {
      config: { ...quiet, mesh_gc_interval_ms: 3_600_000, commit_interval_ms: INTERVAL_MS, mesh_commit_quiet_ms: 0 },
    });
  });
  after(async () => {
    b.daemon.process.kill('SIGCONT');
    await mesh.cleanup();
  });

  it('does not purge on the peer a key written again on the sender while the resync runs', async () => {
    const events: { type: string; data?: unknown }[] = [];
    await b.client.call('subscribe', { topic: 'mesh:events' });
    b.client.onNotification('mesh_event', (event) => events.push(event));
    await b.connect(a);
    // b frozen: a's resync stops after its window of batches, long before the old key. The put is held
    // (commit_interval_ms 60 s, no quiet commit): on the code before, the resync skipped the old key's
    // entry for the held one's and ended without it, and b purged the key (purged: 1).
    b.daemon.process.kill('SIGSTOP');
    await a.client.call('put', { table: TABLE, record: { id: 'old', v: 2 } });
    b.daemon.process.kill('SIGCONT');
    const resync = await eventually('b to finish the resync', () => events.find((event) => event.type === 'resync'));
    assert.deepEqual(resync.data, { purged: 0 }, 'nothing was deleted on a');
    assert.deepEqual((await b.client.call('get', { table: TABLE, key: 'old' })).record, { id: 'old', v: 2 });
  });
});
