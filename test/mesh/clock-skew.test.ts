import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CortexError } from '../../src/protocol/errors.js';
import type { MeshEvent } from '../../src/protocol/mesh-types.js';
import type { TableChange } from '../../src/protocol/notifications.js';
import { converged, eventually, type MeshNode, nextChange, TestMesh } from './mesh-helpers.js';

const DRIFT_MS = 1500;
// Far enough ahead that b's future stamps are still more than DRIFT_MS ahead after b restarts, however
// slowly (a restart under load took over 3 s with 4.5 s of skew).
const SKEW_MS = 9000;

/**
 * One node's wall clock runs far ahead (CORTEX_CLOCK_OFFSET_MS, the testing aid).
 * The rule this checks, as the README states it: a node accepts a timestamp at
 * most max_clock_drift_ms ahead of its own clock. A peer whose clock is further
 * ahead is refused a link; a change stamped further ahead waits until real time
 * catches up. So a skewed node's writes win conflicts only against writes made
 * before its (future) stamps come due, never forever: any write made after that
 * beats them.
 */
describe('a node whose clock is far ahead', () => {
  const mesh = new TestMesh();
  const config = { max_clock_drift_ms: DRIFT_MS };
  let a: MeshNode;
  let b: MeshNode;
  const events: MeshEvent[] = [];

  before(async () => {
    await mesh.init();
    // One table, shared while both clocks are right (same-named tables created apart would
    // be two tables, never merged); then b's clock jumps ahead.
    [a, b] = await Promise.all([mesh.start('a', { config }), mesh.start('b', { config })]);
    await a.connect(b);
    await a.client.call('create_table', { name: 'kv', attributes: ['k', 'v'], replicate: 'mesh' });
    await eventually('kv to reach b', async () =>
      (await b.client.call('tables', {})).tables.length ? true : undefined,
    );
    await a.client.call('cluster_disconnect', { node: 'b' });
    await b.stop();
    b = await mesh.start('b', { config, env: { CORTEX_CLOCK_OFFSET_MS: String(SKEW_MS) } });
    await a.client.call('subscribe', { topic: 'mesh:events' });
    a.client.onNotification('mesh_event', (event) => events.push(event));
  });
  after(() => mesh.cleanup());

  it('is refused a link while its clock is ahead by more than the bound', async () => {
    await b.client.call('put', { table: 'kv', record: { k: 'key', v: 'from-b' } });
    await a.client.call('put', { table: 'kv', record: { k: 'key', v: 'from-a' } });
    await assert.rejects(a.client.call('cluster_connect', { node: b.address }), (error: CortexError) => {
      assert.equal(error.code, 'ECONFLICT');
      const ahead = /the clock of b is (\d+\.\d) s ahead of this node's \(at most 1\.5 s is allowed\)/.exec(
        error.message,
      );
      assert.ok(ahead && Math.abs(Number(ahead[1]) * 1000 - SKEW_MS) < 1000, error.message);
      return true;
    });
    assert.equal(events.find((event) => event.type === 'clock_skew')?.peer, 'b');
    // cluster_status (the Data tab's administrators' view) keeps it as b's last trouble.
    const peer = (await a.client.call('cluster_status', {})).peers.find((status) => status.node === 'b');
    assert.equal(peer?.last_trouble?.type, 'clock_skew', JSON.stringify(peer));
    assert.match(peer.last_trouble.message, /the clock of b is \d+\.\d s ahead/);
    assert.equal((await a.client.call('get', { table: 'kv', key: 'key' })).record!['v'], 'from-a');
  });

  it('once its clock is fixed, its future-stamped writes wait until they are due, and later writes beat them', async () => {
    // b's clock is fixed, but its hybrid clock keeps the future stamps it already gave out.
    await b.stop();
    b = await mesh.start('b', { config, env: {} });
    const stamped = b.rows('kv').find((row) => row.k === 'key')!.hlc;
    await a.client.call('subscribe', { topic: 'table:kv' });
    const arrival = nextChange(a.client, (change) => change.key === 'key' && change.node === 'b').then(
      (change): [TableChange, number] => [change, Date.now()],
    );
    await a.client.call('cluster_connect', { node: b.address });
    const [change, at] = await arrival;
    assert.equal(change.hlc, stamped);
    // Accepted only once it was no more than the bound ahead of a's clock.
    assert.ok(at >= stamped / 1000 - DRIFT_MS - 50, `accepted ${stamped / 1000 - at} ms before it was due`);
    assert.ok(events.some((event) => event.type === 'clock_skew' && /stamped \d+\.\d s ahead/.test(event.message)));
    // cluster_status keeps the wait as b's last trouble, unless the key written on both sides was
    // reported after it: the catch-up reports it when the write came in before the catch-up ended,
    // which at load it may (a run at load 13 looked after such a report). Either is right here.
    const peer = (await a.client.call('cluster_status', {})).peers.find((status) => status.node === 'b');
    const trouble = peer?.last_trouble;
    assert.ok(
      trouble?.type === 'conflict' ||
        (trouble?.type === 'clock_skew' && /stamped \d+\.\d s ahead/.test(trouble.message)),
      JSON.stringify(peer),
    );
    assert.ok(
      a.rows('kv').every((row) => row.hlc <= (Date.now() + DRIFT_MS) * 1000),
      'a never stamps the future',
    );

    // Its write won for now (its stamp is later than a's), but not forever.
    assert.equal((await a.client.call('get', { table: 'kv', key: 'key' })).record!['v'], 'from-b');
    await a.client.call('put', { table: 'kv', record: { k: 'key', v: 'later' } });
    const rows = await converged([a, b], 'kv');
    assert.equal((rows.find((row) => row.k === 'key')!.v as { v: string }).v, 'later');
    await eventually('b to hold the later write', async () =>
      (await b.client.call('get', { table: 'kv', key: 'key' })).record!['v'] === 'later' ? true : undefined,
    );
  });
});
