import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CortexError } from '../../src/protocol/errors.js';
import type { MeshEvent } from '../../src/protocol/mesh-types.js';
import { initCa, loadCa, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { signRevocationList } from '../../daemon/tls/revocation-list.js';
import { runCortex } from '../helpers/cli.js';
import { converged, eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

/**
 * `cortex ca revoke` on the CA machine (here node a, which holds ca.key) signs a
 * revocation list that travels with the mesh: a node it revokes is cut from its
 * live links at once and refused at every handshake, on every node. A list no
 * node can forge: each is checked against ca.crt. A renewal is a revocation and
 * a new certificate: the pin gives way to it.
 */
describe('revocation', () => {
  const mesh = new TestMesh({ caOn: 'a' });
  const events: MeshEvent[] = [];
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;

  before(async () => {
    await mesh.init();
    [a, b, c] = await Promise.all([mesh.start('a'), mesh.start('b'), mesh.start('c')]);
    await a.client.call('subscribe', { topic: 'mesh:events' });
    a.client.onNotification((method, params) => {
      if (method === 'mesh_event') events.push(params as unknown as MeshEvent);
    });
    await a.connect(b);
    await a.connect(c);
    await a.client.call('create_table', { name: 'notes', attributes: ['id', 'v'], replicate: 'mesh' });
    await a.client.call('put', { table: 'notes', record: { id: 'n1', v: 1 } });
    await converged([a, b, c], 'notes');
  });
  after(() => mesh.cleanup());

  const peerOn = async (node: MeshNode, name: string) =>
    (await node.client.call('cluster_status', {})).peers.find((peer) => peer.node === name);
  const serialOf = (node: MeshNode) =>
    new X509Certificate(readFileSync(tlsPaths(mesh.configDir(node.name)).nodeCert)).serialNumber.toLowerCase();

  it('cuts a revoked node from its live links at once, and every node refuses it at the handshake', async () => {
    const revoked = await runCortex(['--home', a.daemon.home, 'ca', 'revoke', 'c']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /^revoked [0-9a-f]+ \(c\)$/m);
    assert.match(revoked.stdout, /the daemon enforces list #1 and sends it to its peers/);

    // Cut from its live link with a, and told why.
    const cut = await eventually('a peer_refused event for c', () =>
      events.find((event) => event.type === 'peer_refused' && event.peer === 'c'),
    );
    assert.equal(cut.type === 'peer_refused' && cut.data.reason, 'revoked');
    await eventually("c's link with a down", async () =>
      (await peerOn(a, 'c'))?.state === 'connected' ? undefined : true,
    );
    await eventually('c told why', () =>
      /a cut the link: the certificate of c \(serial [0-9a-f]+\) is revoked by the CA \(CERT_REVOKED\)/.test(
        c.daemon.stderr(),
      )
        ? true
        : undefined,
    );

    // The list travelled to b, which refuses c at the handshake, both ways.
    await eventually('b to hold list #1', async () =>
      (await b.client.call('cluster_status', {})).revocations?.number === 1 ? true : undefined,
    );
    await assert.rejects(c.client.call('cluster_connect', { node: b.address }), (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      assert.match(
        error.message,
        /^b refused the link: the certificate of c \(serial [0-9a-f]+\) is revoked by the CA \(CERT_REVOKED\)$/,
      );
      return true;
    });
    await assert.rejects(b.client.call('cluster_connect', { node: c.address }), (error: CortexError) => {
      assert.match(error.message, /^Could not link with .+: the certificate of c .*\(CERT_REVOKED\)/);
      return true;
    });
    assert.match(b.daemon.stderr(), /warn mesh: refused c: the certificate of c .*\(CERT_REVOKED\)/);
    const cluster = await runCortex(['--home', b.daemon.home, 'cluster']);
    assert.match(cluster.stdout, /^revocation list #1, 1 certificate\(s\) revoked$/m);
    assert.match(cluster.stdout, /^refused c from .*CERT_REVOKED/m);

    // a keeps redialling c (it was saved) and keeps refusing it; c gets no more writes.
    await a.client.call('put', { table: 'notes', record: { id: 'n2', v: 2 } });
    await converged([a, b], 'notes');
    assert.deepEqual(
      c.rows('notes').map((row) => row.k),
      ['n1'],
    );
  });

  it('takes no list that the CA did not sign, and no list older than its own', async () => {
    const other = mkdtempSync(join(mesh.root, 'other-ca-'));
    await initCa(other);
    const forged = await signRevocationList(await loadCa(other), 99, []);
    await assert.rejects(b.client.call('cluster_revocations', { crl: forged }), (error: CortexError) => {
      assert.equal(error.code, 'EINVAL');
      assert.match(
        error.message,
        /^The revocation list was refused: it was issued by CN=Cortex CA|signature is not this mesh's CA's/,
      );
      return true;
    });
    // Signed by the CA, but numbered below the list b holds: it would unrevoke c.
    const stale = await signRevocationList(await loadCa(mesh.caDir), 0, []);
    const answer = await b.client.call('cluster_revocations', { crl: stale });
    assert.equal(answer.taken, false);
    assert.equal(answer.number, 1);
    assert.deepEqual(answer.serials, [serialOf(c).replace(/^0+/, '')]);
  });

  it("renews a node's certificate: revoke the old one, install a new one, and the pin follows", async () => {
    const out = join(mesh.root, 'b-renewed');
    assert.equal((await runCortex(['--home', a.daemon.home, 'ca', 'revoke', 'b'])).code, 0);
    await eventually('b cut by a', async () => ((await peerOn(a, 'b'))?.state === 'connected' ? undefined : true));
    const issued = await runCortex(['--home', a.daemon.home, 'ca', 'issue', 'node', '--name', 'b', '--out', out]);
    assert.equal(issued.code, 0, issued.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['ca.crt', 'node.crt', 'node.key'], 'never ca.key');
    // Issuing again into the same place replaces nothing unless told to.
    const issuedKey = readFileSync(join(out, 'node.key'), 'utf8');
    const again = await runCortex(['--home', a.daemon.home, 'ca', 'issue', 'node', '--name', 'b', '--out', out]);
    assert.equal(again.code, 4);
    assert.match(again.stderr, /node\.crt exists already; --force replaces it/);
    assert.equal(readFileSync(join(out, 'node.key'), 'utf8'), issuedKey, 'the key issued first is untouched');
    // On b: install over its old files (--force) and restart.
    const refusedInstall = await runCortex(['--home', b.daemon.home, 'ca', 'install', out]);
    assert.equal(refusedInstall.code, 4);
    assert.match(refusedInstall.stderr, /node\.crt exists already; --force replaces it/);
    assert.equal((await runCortex(['--home', b.daemon.home, 'ca', 'install', out, '--force'])).code, 0);
    await b.stop();
    b = await mesh.start('b');
    const renewed = new X509Certificate(readFileSync(tlsPaths(mesh.configDir('b')).nodeCert)).fingerprint256;
    await eventually('a linked with the renewed b', async () => {
      const peer = await peerOn(a, 'b');
      return peer?.state === 'connected' && peer.pinned === renewed ? true : undefined;
    });
    assert.match(
      a.daemon.stderr(),
      /warn mesh: b has a new certificate .*; its pinned one \(.*\) was revoked, so the new one is pinned now/,
    );
    await a.client.call('put', { table: 'notes', record: { id: 'n3', v: 3 } });
    await converged([a, b], 'notes');
  });
});
