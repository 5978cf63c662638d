import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { converged, eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

/**
 * Keeps `inFlight` puts going on `client` until `stop()`; records each one the
 * daemon acknowledged. Calls that fail because the daemon died are just not
 * acknowledged: nothing is promised about them.
 */
function writer(client: Client, prefix: string, inFlight = 16) {
  const acknowledged = new Map<string, number>();
  let next = 0;
  let running = 0;
  let stopped = false;
  let idle: () => void = () => undefined;
  const launch = (): void => {
    while (running < inFlight && !stopped) {
      const n = next++;
      const id = `${prefix}${n}`;
      running++;
      client.call('put', { table: 'stream', record: { id, n, pad: 'x'.repeat(100) } }).then(
        () => {
          running--;
          acknowledged.set(id, n);
          launch();
          if (running === 0) idle();
        },
        () => {
          running--;
          if (running === 0) idle();
        },
      );
    }
  };
  launch();
  return {
    acknowledged,
    /** Resolves after `count` more acknowledgements. */
    async after(count: number): Promise<void> {
      const target = acknowledged.size + count;
      await eventually(`${count} more acknowledged writes`, () => (acknowledged.size >= target ? true : undefined));
    },
    stop(): Promise<void> {
      stopped = true;
      return running === 0 ? Promise.resolve() : new Promise((resolve) => (idle = resolve));
    },
  };
}

/**
 * kill -9 in the middle of a replication stream. Writers keep puts in flight on
 * both nodes; one node is SIGKILLed, restarted on the same home and port, and the
 * link comes back by itself (saved peers are redialled). Every acknowledged write,
 * on either side, must end up on both: a checkpoint is saved in the transaction
 * that applied the changes, never ahead of them, and an acknowledged write is on
 * disk before its acknowledgement.
 */
describe('kill -9 during replication', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([mesh.start('a'), mesh.start('b')]);
    await a.connect(b);
    await a.client.call('create_table', { name: 'stream', attributes: ['id', 'n', 'pad'], replicate: 'mesh' });
    await eventually('the table on b', async () =>
      (await b.client.call('tables', {})).tables.length === 1 ? true : undefined,
    );
  });
  after(() => mesh.cleanup());

  async function expectAll(nodes: MeshNode[], acknowledged: Map<string, number>[]): Promise<void> {
    const rows = await converged(nodes, 'stream', 60_000);
    const present = new Map(rows.map((row) => [row.k, (row.v as { n: number }).n]));
    for (const writes of acknowledged) {
      const lost = [...writes].filter(([id, n]) => present.get(id) !== n).map(([id]) => id);
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged writes lost`);
    }
  }

  it('loses no acknowledged write when the receiving peer is killed and restarted', async () => {
    const onA = writer(a.client, 'a');
    const onB = writer(b.client, 'b');
    await onA.after(1500);
    await b.daemon.kill();
    await onB.stop();
    await onA.after(300);
    b = await mesh.start('b');
    // Nothing tells b or a to link again: a redials its saved peer, with backoff.
    await onA.after(300);
    await onA.stop();
    await expectAll([a, b], [onA.acknowledged, onB.acknowledged]);
    assert.match(a.daemon.stderr(), /mesh: link with b down/);
  });

  it('loses no acknowledged write when the node that dialled is killed, and it redials after its restart', async () => {
    const onA = writer(a.client, 'a2-');
    const onB = writer(b.client, 'b2-');
    await onB.after(1500);
    await a.daemon.kill();
    await onA.stop();
    a = await mesh.start('a');
    await onB.after(300);
    await onB.stop();
    await expectAll([a, b], [onA.acknowledged, onB.acknowledged]);
    const peer = (await a.client.call('cluster_status', {})).peers[0]!;
    assert.equal(peer.state, 'connected');
    assert.equal(peer.direction, 'outbound', 'a found b in its saved peers');
  });
});
