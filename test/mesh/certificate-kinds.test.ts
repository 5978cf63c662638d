import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectTls } from '../../src/client/remote.js';
import type { CortexError } from '../../src/protocol/errors.js';
import { issueCertificate, issueToFiles, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { runCortex } from '../helpers/cli.js';
import { type MeshNode, TestMesh } from './mesh-helpers.js';

/**
 * A certificate is of one kind, node or client, as the CA marked it: a node
 * certificate is refused as a client certificate (on the TLS listener) and a
 * client certificate as a node certificate (on the mesh listener and when
 * dialling). Revoking a client certificate closes its connections at once.
 */
describe('certificate kinds', () => {
  const mesh = new TestMesh({ caOn: 'a' });
  let a: MeshNode;
  let b: MeshNode;
  let alice: MeshNode;
  let tlsAddress: string;
  let caFile: string;

  before(async () => {
    await mesh.init();
    // alice runs a daemon with a client certificate where its node certificate should be.
    const clientCertificate = await issueCertificate(mesh.caDir, { commonName: 'alice', kind: 'client' });
    [a, b, alice] = await Promise.all([
      mesh.start('a', { args: ['--listen', '127.0.0.1:0'] }),
      mesh.start('b'),
      mesh.start('alice', { certificate: clientCertificate }),
    ]);
    tlsAddress = /tls listening on (\S+)/.exec(a.daemon.stderr())![1]!;
    caFile = tlsPaths(mesh.caDir).caCert;
  });
  after(() => mesh.cleanup());

  it('a client certificate cannot link as a node, dialling or dialled', async () => {
    await assert.rejects(alice.client.call('cluster_connect', { node: a.address }), (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      assert.match(
        error.message,
        /^a refused the link: the certificate of alice is a client certificate, not a node certificate \(NOT_A_NODE_CERTIFICATE\)/,
      );
      return true;
    });
    await assert.rejects(a.client.call('cluster_connect', { node: alice.address }), (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      // TLS itself finds it first here: a client certificate is not marked for a server's use.
      assert.match(error.message, /: the certificate of alice is not marked for a node's use \(INVALID_PURPOSE\)/);
      return true;
    });
    assert.match(
      a.daemon.stderr(),
      /warn mesh: refused 127\.0\.0\.1:\d+ \(calling itself alice\): .*NOT_A_NODE_CERTIFICATE/,
    );
    assert.deepEqual(
      (await a.client.call('cluster_status', {})).peers.map((peer) => peer.node),
      [],
    );
  });

  it('a node certificate cannot call as a client', async () => {
    const bFiles = tlsPaths(mesh.configDir('b'));
    const asNode = await runCortex([
      '--host',
      tlsAddress,
      '--ca',
      caFile,
      '--cert',
      bFiles.nodeCert,
      '--key',
      bFiles.nodeKey,
      'status',
    ]);
    assert.equal(asNode.code, 5, asNode.stdout);
    assert.match(
      asNode.stderr,
      /The client certificate was refused: the certificate of b is a node certificate, not a client certificate \(NOT_A_CLIENT_CERTIFICATE\)/,
    );
    assert.match(a.daemon.stderr(), /tls client \S+ refused: .*NOT_A_CLIENT_CERTIFICATE/);
    // b's own daemon is untouched by someone using its files elsewhere.
    assert.equal((await b.client.call('status', {})).node, 'b');
  });

  it('a client certificate calls as a client, until it is revoked: then its connection closes at once', async () => {
    const carol = await issueToFiles(mesh.caDir, { commonName: 'carol', kind: 'client' });
    const client = await connectTls({ address: tlsAddress, ca: caFile, cert: carol.cert, key: carol.key });
    assert.equal((await client.call('status', {})).identity, 'cert:carol@a');
    const closed = new Promise<void>((resolve) => client.onClose(resolve));
    const revoked = await runCortex(['--home', a.daemon.home, 'ca', 'revoke', 'carol']);
    assert.equal(revoked.code, 0, revoked.stderr);
    await closed;
    assert.match(a.daemon.stderr(), /closed, its client certificate \(serial [0-9a-f]+\) was revoked/);
    const again = await runCortex([
      '--host',
      tlsAddress,
      '--ca',
      caFile,
      '--cert',
      carol.cert,
      '--key',
      carol.key,
      'status',
    ]);
    assert.equal(again.code, 5);
    assert.match(
      again.stderr,
      /The client certificate was refused: the certificate of carol \(serial [0-9a-f]+\) is revoked by the CA \(CERT_REVOKED\)/,
    );
  });
});
