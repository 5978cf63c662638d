import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { PeerChannel } from '../../daemon/mesh/peer-channel.js';
import { converged, eventually, type MeshNode, rogueHeartbeat, roguePeer, TestMesh } from './mesh-helpers.js';

const MiB = 1024 * 1024;
/** A query answers at most this many records (wire.ts): one short request, about 5 MiB of answer here. */
const LIMIT = 10_000;
const BLOB = 'x'.repeat(500);
const QUERIES = 100;
/** c's mesh_max_output_bytes: what m may leave unread. */
const BOUND = 8 * MiB;

function memoryOf(node: MeshNode, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${node.daemon.process.pid!}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  assert.ok(match, `no ${field} in the status of ${node.name}`);
  return Number(match[1]) * 1024;
}

async function putMany(node: MeshNode, table: string, from: number, count: number): Promise<void> {
  for (let start = from; start < from + count; start += 5000) {
    const records = Array.from({ length: Math.min(5000, from + count - start) }, (_, i) => ({
      id: `k${start + i}`,
      blob: BLOB,
    }));
    await node.client.call('put_many', { table, records });
  }
}

/** Heartbeats from m every `ms`, as a live peer sends them (a silent one is dropped for its silence). */
function heartbeats(rogue: PeerChannel, ms: number): NodeJS.Timeout {
  const beat = () => rogueHeartbeat(rogue, 'm');
  beat();
  return setInterval(beat, ms);
}

/** What `node`'s cluster_status says of `peer`. */
async function statusOf(node: MeshNode, peer: string) {
  const { peers } = await node.client.call('cluster_status', {});
  return peers.find((entry) => entry.node === peer);
}

/** A put on `writer` reaches `reader`, and `reader`'s own client puts and gets. */
async function othersWork(writer: MeshNode, reader: MeshNode, key: string): Promise<void> {
  await writer.client.call('put', { table: 'notes', record: { id: key, blob: 'from b' } });
  await eventually(
    `${key} to reach ${reader.name}`,
    async () => (await reader.client.call('get', { table: 'notes', key })).record ?? undefined,
  );
  await reader.client.call('put', { table: 'notes', record: { id: `${key}-local`, blob: 'local' } });
  const { record } = await reader.client.call('get', { table: 'notes', key: `${key}-local` });
  assert.deepEqual(record, { id: `${key}-local`, blob: 'local' });
}

/**
 * The attack: a compromised node m links to c with a valid certificate, stops reading, and sends
 * `query` requests, each a few dozen bytes asking for 10,000 records. c built and queued every
 * answer for it: its memory grew by each answer, without end. Now c closes the link once m leaves
 * more than mesh_max_output_bytes unread, and says why in cluster_status; its honest peer b and its
 * local clients go on meanwhile.
 */
describe('attack: a peer that never reads', () => {
  const mesh = new TestMesh();
  let b: MeshNode;
  let c: MeshNode;
  let rogue: PeerChannel | undefined;
  let beating: NodeJS.Timeout | undefined;

  before(async () => {
    await mesh.init();
    [b, c] = await Promise.all([mesh.start('b'), mesh.start('c', { config: { mesh_max_output_bytes: BOUND } })]);
    await b.connect(c);
    await c.client.call('create_table', { name: 'big', attributes: ['id', 'blob'], replicate: 'local' });
    await b.client.call('create_table', { name: 'notes', attributes: ['id', 'blob'], replicate: 'mesh' });
    await putMany(c, 'big', 0, LIMIT);
    await c.client.call('acl_grant', { identity: 'root@m', table: 'big', permissions: ['read'] });
    await eventually('notes to reach c', async () =>
      (await c.client.call('tables', {})).tables.some((table) => table.name === 'notes') ? true : undefined,
    );
  });
  after(async () => {
    clearInterval(beating);
    rogue?.close('done');
    await mesh.cleanup();
  });

  it('closes the link past the bound, with c memory bounded, while b and c clients go on', async (t) => {
    rogue = await roguePeer(mesh, 'm', c);
    beating = heartbeats(rogue, 100);
    await eventually('c to link with m', async () =>
      (await statusOf(c, 'm'))?.state === 'connected' ? true : undefined,
    );
    // One answer read, to show what m asks for is real, then m stops reading.
    const query = {
      table: 'big',
      pattern: {},
      limit: LIMIT,
      identity: 'user:root@m',
      timeout_ms: 60_000,
      exclude: ['b', 'm'],
    };
    const first = (await rogue.request('query', query, 60_000)) as { answers: { records?: unknown[] }[] };
    assert.equal(first.answers[0]?.records?.length, LIMIT, JSON.stringify(first.answers[0]));
    rogue.socket.pause();
    const before = memoryOf(c, 'VmRSS');

    const answered = Array.from({ length: QUERIES }, () =>
      rogue!.request('query', query, 60_000).then(
        () => 'answered',
        () => 'closed',
      ),
    );
    await othersWork(b, c, 'during');
    await eventually('c to close the link with m', async () => {
      const status = await statusOf(c, 'm');
      return status !== undefined && status.state !== 'connected' && status.error !== null ? status : undefined;
    });
    const growth = memoryOf(c, 'VmHWM') - before;
    t.diagnostic(`c's peak RSS grew by ${Math.round(growth / MiB)} MiB`);
    assert.ok(growth < 80 * MiB, `c's peak RSS grew by ${Math.round(growth / MiB)} MiB for a peer that never read`);
    const status = await statusOf(c, 'm');
    assert.match(status!.error!, /m left \d+ bytes unread, more than mesh_max_output_bytes \(8388608\)/);
    assert.match(c.daemon.stderr(), /link with m down: .*bytes unread/);
    rogue.socket.resume();
    assert.ok((await Promise.all(answered)).includes('closed'), 'some of the queries were never answered');

    await othersWork(b, c, 'after');
    assert.equal((await statusOf(c, 'b'))?.state, 'connected');
  });

  it('brings a peer that was merely slow up to date after the redial', async (t) => {
    // c stops (SIGSTOP) while b takes 50,000 records: b's output to c waits, c's silence ends the link.
    // Replication waited for drain before this work too: this holds the bound to not cutting it short.
    c.daemon.process.kill('SIGSTOP');
    const before = memoryOf(b, 'VmRSS');
    try {
      await putMany(b, 'notes', 0, 50_000);
      const growth = memoryOf(b, 'VmHWM') - before;
      t.diagnostic(`b's peak RSS grew by ${Math.round(growth / MiB)} MiB`);
      assert.ok(growth < 120 * MiB, `b's peak RSS grew by ${Math.round(growth / MiB)} MiB for a stopped peer`);
      const got = await b.client.call('get', { table: 'notes', key: 'k49999' });
      assert.deepEqual(got.record, { id: 'k49999', blob: BLOB });
    } finally {
      c.daemon.process.kill('SIGCONT');
    }
    const rows = await converged([b, c], 'notes', 60_000);
    assert.equal(rows.length, (await b.records('notes')).length);
    assert.ok(rows.length >= 50_000, `${rows.length} rows`);
  });
});
