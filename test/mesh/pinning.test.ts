import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { CortexError } from '../../src/protocol/errors.js';
import type { MeshEvent } from '../../src/protocol/mesh-types.js';
import { issueCertificate, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { runCortex } from '../helpers/cli.js';
import { converged, eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

/**
 * A peer is pinned by its certificate on its first link. The attack: while the
 * real b is paused, an impostor presents a certificate for the name b that the
 * CA really signed (a second `ca issue node --name b`, or a stolen invitation)
 * and tries to link with a, both ways. a refuses it at the handshake, gives it
 * nothing, says why to it, and reports it; the real b links again when it comes
 * back. Only an administrator's `cluster forget b` lets another certificate in.
 */
describe('pinned node certificates', () => {
  const mesh = new TestMesh();
  const events: MeshEvent[] = [];
  let a: MeshNode;
  let b: MeshNode;
  let impostor: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([mesh.start('a'), mesh.start('b')]);
    await a.client.call('subscribe', { topic: 'mesh:events' });
    a.client.onNotification((method, params) => {
      if (method === 'mesh_event') events.push(params as unknown as MeshEvent);
    });
    await a.connect(b);
    await a.client.call('create_table', { name: 'private', attributes: ['id', 'v'], replicate: 'peers:a,b' });
    await a.client.call('put', { table: 'private', record: { id: 'p1', v: 'for b only' } });
    await converged([a, b], 'private');
  });
  after(() => mesh.cleanup());

  const fingerprintOf = (node: MeshNode) =>
    new X509Certificate(readFileSync(tlsPaths(mesh.configDir(node.name)).nodeCert)).fingerprint256;
  const peerB = async () => (await a.client.call('cluster_status', {})).peers.find((peer) => peer.node === 'b')!;

  it('pins b on the first link, by the fingerprint of its certificate', async () => {
    assert.equal((await peerB()).pinned, fingerprintOf(b));
  });

  it('refuses an impostor b after the real b paused, both ways, and reports it', async () => {
    b.daemon.process.kill('SIGSTOP');
    try {
      await eventually('a to drop the paused b', () =>
        events.some((event) => event.type === 'peer_down' && event.peer === 'b') ? true : undefined,
      );
      const forged = await issueCertificate(mesh.caDir, { commonName: 'b', kind: 'node' });
      impostor = await mesh.start('impostor', { node: 'b', certificate: forged });
      const impostorFingerprint = new X509Certificate(forged.cert).fingerprint256;

      // The impostor dials a: refused at the handshake, and told why.
      await assert.rejects(impostor.client.call('cluster_connect', { node: a.address }), (error: CortexError) => {
        assert.equal(error.code, 'EACCES');
        assert.match(error.message, /^a refused the link: the certificate of b \(.+\) is not the one a pinned for b/);
        assert.match(error.message, /\(PINNED_MISMATCH\)/);
        return true;
      });
      // a dials the impostor (as a redial to a changed address would): refused too.
      await assert.rejects(a.client.call('cluster_connect', { node: impostor.address }), (error: CortexError) => {
        assert.equal(error.code, 'EACCES');
        assert.match(error.message, /is not the one a pinned for b .*\(PINNED_MISMATCH\)/);
        return true;
      });

      // Reported three ways: mesh:events, the log, and cortex cluster.
      const refused = await eventually('a peer_refused event for b', () =>
        events.find((event) => event.type === 'peer_refused' && event.peer === 'b'),
      );
      assert.equal(refused.type === 'peer_refused' && refused.data.reason, 'pinned_mismatch');
      assert.equal(refused.type === 'peer_refused' && refused.data.fingerprint, impostorFingerprint);
      assert.match(a.daemon.stderr(), /warn mesh: refused b: the certificate of b .*\(PINNED_MISMATCH\)/);
      assert.equal((await peerB()).refused?.reason, 'pinned_mismatch');
      assert.equal((await peerB()).pinned, fingerprintOf(b), 'the pin is unchanged');
      const cluster = await runCortex(['--home', a.daemon.home, 'cluster']);
      assert.equal(cluster.code, 0, cluster.stderr);
      assert.match(cluster.stdout, /^refused b from 127\.0\.0\.1:\d+: the certificate of b .*PINNED_MISMATCH/m);

      // It got nothing: no table, no record.
      assert.deepEqual(impostor.rows('private'), []);
      assert.match(impostor.daemon.stderr(), /no link with a: a refused the link: .*PINNED_MISMATCH/);
    } finally {
      b.daemon.process.kill('SIGCONT');
    }
    // The real b is linked again.
    await eventually('a and the real b linked again', async () => {
      const peer = await peerB();
      return peer.state === 'connected' && peer.refused === null ? true : undefined;
    });
    await a.client.call('put', { table: 'private', record: { id: 'p2', v: 'after' } });
    await converged([a, b], 'private');
    assert.deepEqual(impostor.rows('private'), []);
  });

  it('takes another certificate for b only after an administrator forgets b', async () => {
    const forget = await runCortex(['--home', a.daemon.home, 'cluster', 'forget', 'b']);
    assert.equal(forget.code, 0, forget.stderr);
    assert.match(forget.stdout, /^forgot b/);
    assert.match(a.daemon.stderr(), /warn mesh: forgot b: its pinned certificate/);
    assert.equal(
      (await a.client.call('cluster_status', {})).peers.find((peer) => peer.node === 'b'),
      undefined,
    );
    // The administrator's decision: the node now presenting itself as b is pinned on its first link.
    await impostor.client.call('cluster_connect', { node: a.address });
    assert.equal(
      (await peerB()).pinned,
      new X509Certificate(readFileSync(tlsPaths(mesh.configDir('impostor')).nodeCert)).fingerprint256,
    );
    const unknown = await runCortex(['--home', a.daemon.home, 'cluster', 'forget', 'nobody-here']);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /knows no node named nobody-here/);
  });
});
