import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { runCortex } from '../helpers/cli.js';
import { eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

/** Lines of a daemon's log that match `pattern`. */
const count = (node: MeshNode, pattern: RegExp) =>
  node.daemon
    .stderr()
    .split('\n')
    .filter((text) => pattern.test(text)).length;

/**
 * Linking when the other side says no, and relinking after a restart. A peer
 * that refuses a link after the hello (it disconnected this node) is not
 * reported as linked, and is redialled with a growing wait, not nine times a
 * second; a node that only listens dials back the peer that used to dial it
 * when it comes back, at the address that peer's hello gave.
 */
describe('redialling', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;

  before(async () => {
    await mesh.init();
    // The default longest wait between redials (30 s), as in production.
    const config = { mesh_redial_max_ms: 30_000 };
    [a, b] = await Promise.all([mesh.start('a', { config }), mesh.start('b', { config })]);
    await a.connect(b);
  });
  after(() => mesh.cleanup());

  it('does not say "linked" when the peer then refuses', async () => {
    const disconnected = await runCortex(['--home', b.daemon.home, 'cluster', 'disconnect', 'a']);
    assert.equal(disconnected.code, 0, disconnected.stderr);
    const connect = await runCortex(['--home', a.daemon.home, 'cluster', 'connect', b.address]);
    assert.equal(connect.code, 5, connect.stdout);
    assert.doesNotMatch(connect.stdout, /linked/);
    assert.match(connect.stderr, /b was disconnected from a with cluster_disconnect/);
  });

  it('backs off its redials of a peer that refuses after the handshake: the log stays quiet', async () => {
    // a keeps b saved and redials it; b keeps refusing. Over 3 s, a handful of tries, not ~27. A
    // count at most is all a fixed window can show on a loaded machine: by now a's wait may be 6 s,
    // so that it keeps trying is shown by b's next refusal, however late it comes.
    const refusals = /mesh: link with a refused: b was disconnected/;
    const tries = /mesh: (no link with b|linked with b|link with b down)/;
    const [refusedBefore, triedBefore] = [count(b, refusals), count(a, tries)];
    await delay(3000);
    const refused = count(b, refusals) - refusedBefore;
    const tried = count(a, tries) - triedBefore;
    assert.ok(tried <= 6, `a logged ${tried} lines about b in 3 s`);
    assert.ok(refused <= 6, `b refused ${refused} links in 3 s`);
    await eventually('a to try b again', () => (count(b, refusals) > refusedBefore ? true : undefined), 60_000);

    // Connected again from b's side, the two link.
    const reconnect = await runCortex(['--home', b.daemon.home, 'cluster', 'connect', a.address]);
    assert.equal(reconnect.code, 0, reconnect.stderr);
    assert.match(reconnect.stdout, /^linked with a /);
  });

  it('a node that only listens dials back the peer that dialled it, after its own restart', async () => {
    // c dials d and keeps it saved at d's address; d only ever listened, and comes back on another port,
    // where c will never look.
    const c = await mesh.start('c');
    let d = await mesh.start('d');
    await c.connect(d);
    const peerC = async () => (await d.client.call('cluster_status', {})).peers.find((peer) => peer.node === 'c');
    await d.stop();
    d = await mesh.start('d', { port: 0 });
    const linked = await eventually(
      'd to dial c back',
      async () => {
        const peer = await peerC();
        return peer?.state === 'connected' ? peer : undefined;
      },
      10_000,
    );
    assert.equal(linked.direction, 'outbound', 'd dialled');
    assert.equal(linked.address, c.address, "at the address of c's listener, from its hello");
    assert.match(d.daemon.stderr(), /mesh: linked with c \(outbound 127\.0\.0\.1:\d+\)/);
  });
});
