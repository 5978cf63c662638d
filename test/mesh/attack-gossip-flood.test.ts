import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PeerChannel } from '../../daemon/mesh/peer-channel.js';
import { eventually, type MeshNode, rogueHeartbeat, roguePeer, TestMesh } from './mesh-helpers.js';

/** As many entries as a heartbeat may carry (wire.ts refuses more). */
const PER_HEARTBEAT = 4096;
const BATCHES = 3;

/** The names of batch `batch` of made-up nodes: as many as fit in one heartbeat beside the sender's own entry. */
const madeUp = (batch: number) => Array.from({ length: PER_HEARTBEAT - 1 }, (_, i) => `f${batch}-${i}`);

/**
 * The attack: a compromised node m, linked to c, tells c in its heartbeats of
 * nodes that do not exist, a heartbeat's worth at a time, new names each time.
 * c remembered every node it ever heard of, and told every peer of them all in
 * each heartbeat: past the 4,096 entries a heartbeat may carry, its honest
 * peer b took c's heartbeats for a broken protocol and cut the link, again at
 * every redial, so one node cut the mesh apart; and c's memory of nodes grew
 * with every heartbeat m sent.
 */
describe('attack: a peer floods the routes with made-up nodes', () => {
  const mesh = new TestMesh();
  let b: MeshNode;
  let c: MeshNode;
  let rogue: PeerChannel;

  before(async () => {
    await mesh.init();
    [b, c] = await Promise.all([mesh.start('b'), mesh.start('c')]);
    await b.connect(c);
    rogue = await roguePeer(mesh, 'm', c);
  });
  after(async () => {
    rogue?.close('done');
    await mesh.cleanup();
  });

  it('keeps the b–c link and its routes, and remembers a bounded number of nodes', async () => {
    for (let batch = 0; batch < BATCHES; batch++) {
      const names = madeUp(batch);
      rogueHeartbeat(
        rogue,
        'm',
        names.map((node) => ({ node, hops: 1 })),
      );
      await eventually(`c to hear of batch ${batch}`, async () => {
        const { nodes } = await c.client.call('node_list', {});
        return nodes.some((view) => view.node === names.at(-1)) ? true : undefined;
      });
    }
    rogue.close('done');
    await eventually('c to see m gone', async () => {
      const { nodes } = await c.client.call('node_list', {});
      return nodes.find((view) => view.node === 'm')?.state === 'online' ? undefined : nodes;
    });

    // b goes on hearing from c: news of the last made-up nodes comes to it through c's heartbeats.
    const last = madeUp(BATCHES - 1).at(-1)!;
    await eventually(`b to hear of ${last} from c`, async () => {
      const { nodes } = await b.client.call('node_list', {});
      return nodes.some((view) => view.node === last) ? true : undefined;
    });
    assert.doesNotMatch(b.daemon.stderr(), /broke the peer protocol/);
    assert.doesNotMatch(c.daemon.stderr(), /broke the peer protocol/);
    const { nodes } = await c.client.call('node_list', {});
    // Its own memory of nodes (a heartbeat's worth) and what its one link, b, last told it (another).
    assert.ok(nodes.length <= 2 * PER_HEARTBEAT, `c knows of ${nodes.length} nodes`);
    assert.equal(nodes.find((view) => view.node === 'b')?.state, 'online');
  });
});
