import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { converged, eventually, type MeshNode, nextChange, TestMesh } from './mesh-helpers.js';

/**
 * Three daemons in a line, a — b — c, with no a–c link: replicated writes relay
 * through b, a `local` table never leaves its node (not a byte of it in b's
 * database files), and a `peers:a,b` table never reaches c.
 */
describe('a mesh of three daemons in a line', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b, c] = await Promise.all([mesh.start('a'), mesh.start('b'), mesh.start('c')]);
    await a.connect(b);
    await b.connect(c);
  });
  after(() => mesh.cleanup());

  it('shows each node its peers, linked, with heartbeats', async () => {
    const status = await eventually('heartbeats on every link', async () => {
      const result = await b.client.call('cluster_status', {});
      return result.peers.every((peer) => peer.last_heartbeat !== null) ? result : undefined;
    });
    assert.equal(status.node, 'b');
    assert.equal(status.listen, b.address);
    assert.deepEqual(
      status.peers.map((peer) => [peer.node, peer.state, peer.direction]),
      [
        ['a', 'connected', 'inbound'],
        ['c', 'connected', 'outbound'],
      ],
    );
    assert.equal(status.peers[1]!.address, c.address);
    assert.ok(status.peers[0]!.resources!.mem_total > 0, 'heartbeats carry the machine resources');
    const aStatus = await a.client.call('status', {});
    assert.equal(aStatus.node, 'a');
    assert.equal(aStatus.mesh_listen, a.address);
  });

  it('relays a write on a through b to c, where a subscriber sees it as a table change', async () => {
    await a.client.call('create_table', { name: 'notes', attributes: ['id', 'text'], replicate: 'mesh' });
    await a.client.call('put', { table: 'notes', record: { id: 'first', text: 'hello' } });
    // c learns the table from the records: subscribe once it exists there.
    await eventually('notes to reach c', async () =>
      (await c.client.call('tables', {})).tables.length ? true : undefined,
    );
    await c.client.call('subscribe', { topic: 'table:notes' });
    const seen = nextChange(c.client, (change) => change.key === 'second');
    await a.client.call('put', { table: 'notes', record: { id: 'second', text: 'relayed' } });
    const change = await seen;
    assert.equal(change.op, 'put');
    assert.equal(change.node, 'a', 'a replicated change keeps the node that wrote it');
    assert.deepEqual(change.record, { id: 'second', text: 'relayed' });
    assert.deepEqual((await c.client.call('get', { table: 'notes', key: 'first' })).record, {
      id: 'first',
      text: 'hello',
    });
    const [info] = (await c.client.call('tables', {})).tables;
    assert.equal(info!.replicate, 'mesh', 'the definition travelled with the data');

    // Writes flow the other way too, and deletes travel as tombstones.
    const back = nextChange(a.client, (change) => change.key === 'first' && change.op === 'delete');
    await a.client.call('subscribe', { topic: 'table:notes' });
    await c.client.call('delete', { table: 'notes', key: 'first' });
    assert.equal((await back).node, 'c');
    await converged([a, b, c], 'notes');
  });

  it('never lets a local table leave its node, not even into b’s database files', async () => {
    const marker = 'local-secret-7f3a9c';
    await a.client.call('create_table', { name: 'private', attributes: ['id', 'secret'] });
    await a.client.call('put', { table: 'private', record: { id: 'p1', secret: marker } });
    // A mesh write after it, which does arrive: by then b has seen everything a sent.
    const seen = nextChange(b.client, (change) => change.key === 'sentinel-1');
    await b.client.call('subscribe', { topic: 'table:notes' });
    await a.client.call('put', { table: 'notes', record: { id: 'sentinel-1', text: 'x' } });
    await seen;
    assert.deepEqual(
      (await b.client.call('tables', {})).tables.map((table) => table.name),
      ['notes'],
    );
    for (const file of readdirSync(b.daemon.dataDir)) {
      if (!file.startsWith('cortex.db')) continue;
      const bytes = readFileSync(`${b.daemon.dataDir}/${file}`);
      assert.equal(bytes.includes(marker), false, `${file} of b holds a record of a local table`);
      assert.equal(bytes.includes('private'), false, `${file} of b names the local table`);
    }
  });

  it('keeps a peers:a,b table off c, which is not listed', async () => {
    await a.client.call('create_table', { name: 'pair', attributes: ['id', 'v'], replicate: 'peers:a,b' });
    await b.client.call('subscribe', { topic: 'table:notes' });
    const onB = nextChange(b.client, (change) => change.key === 'pair-done');
    await a.client.call('put', { table: 'pair', record: { id: 'k', v: 1 } });
    await a.client.call('put', { table: 'notes', record: { id: 'pair-done', text: 'x' } });
    await onB;
    assert.deepEqual((await b.client.call('get', { table: 'pair', key: 'k' })).record, { id: 'k', v: 1 });
    // c gets the notes write that followed, so it has seen all b relayed.
    await c.client.call('subscribe', { topic: 'table:notes' });
    await eventually('pair-done at c', async () =>
      (await c.client.call('get', { table: 'notes', key: 'pair-done' })).record ? true : undefined,
    );
    assert.deepEqual(
      (await c.client.call('tables', {})).tables.map((table) => table.name),
      ['notes'],
    );
    // A policy that leaves out the node creating the table is a mistake, said at once.
    await assert.rejects(
      a.client.call('create_table', { name: 'elsewhere', attributes: ['id'], replicate: 'peers:b,c' }),
      /does not list this node \(a\)/,
    );
  });

  it('answers query_mesh from every reachable node, each record tagged with its node', async () => {
    await a.client.call('create_table', { name: 'metrics', attributes: ['id', 'load'] });
    await b.client.call('create_table', { name: 'metrics', attributes: ['id', 'load'] });
    await a.client.call('put', { table: 'metrics', record: { id: 'cpu', load: 1 } });
    await b.client.call('put', { table: 'metrics', record: { id: 'cpu', load: 2 } });
    // b's metrics are root@b's: b lets root of a read them (root@a administers a only).
    await b.client.call('acl_grant', { identity: 'root@a', table: 'metrics', permissions: ['read'] });
    const result = await a.client.call('query_mesh', { table: 'metrics', pattern: {} });
    assert.deepEqual(
      result.records.map((item) => [item.node, item.record['load']]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    assert.deepEqual(result.nodes.answered, ['a', 'b']);
    // c, reached through b, has no such table: it is listed as failed with why.
    assert.deepEqual(
      result.nodes.failed.map((failure) => [failure.node, failure.code]),
      [['c', 'ENOTFOUND']],
    );
    const replicated = await a.client.call('query_mesh', { table: 'notes', pattern: { id: 'second' } });
    assert.deepEqual(
      replicated.records.map((item) => item.node),
      ['a', 'b', 'c'],
    );
  });

  it('refuses to merge two tables of one name keyed differently, for as long as the link lasts', async () => {
    // Made apart, so that neither definition reaches the other node before its own is made.
    await a.client.call('cluster_disconnect', { node: 'b' });
    await a.client.call('create_table', { name: 'people', attributes: ['id', 'email'], replicate: 'mesh' });
    await b.client.call('create_table', { name: 'people', attributes: ['email', 'id'], replicate: 'mesh' });
    await a.client.call('cluster_connect', { node: b.address });
    for (let i = 0; i < 3; i++) {
      await a.client.call('put', { table: 'people', record: { id: `p${i}`, email: `p${i}@example.com` } });
    }
    const seen = nextChange(b.client, (change) => change.key === 'sentinel-2');
    await a.client.call('put', { table: 'notes', record: { id: 'sentinel-2', text: 'x' } });
    await seen;
    assert.deepEqual(b.rows('people'), [], 'b kept its own table, untouched');
    // Keyed alike or not, they are two tables: b reports the clash.
    await eventually('the clash in b’s log', () =>
      /table clash: people here is b:\d+ \(created on b, [^)]*\); a sent a:\d+ of the same name/.test(b.daemon.stderr())
        ? true
        : undefined,
    );
  });

  it('drops a replicated table everywhere, and a table created again under that name is a new one', async () => {
    await a.client.call('drop_table', { name: 'notes' });
    for (const node of [b, c]) {
      await eventually(`notes dropped on ${node.name}`, async () =>
        (await node.client.call('tables', {})).tables.some((table) => table.name === 'notes') ? undefined : true,
      );
    }
    await c.client.call('create_table', { name: 'notes', attributes: ['id', 'text'], replicate: 'mesh' });
    await c.client.call('put', { table: 'notes', record: { id: 'reborn', text: 'from c' } });
    const rows = await converged([a, b, c], 'notes');
    assert.deepEqual(
      rows.map((row) => row.k),
      ['reborn'],
      'nothing of the dropped incarnation came back',
    );
  });
});
