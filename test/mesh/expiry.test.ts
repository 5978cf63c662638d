import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CortexError } from '../../src/protocol/errors.js';
import { issueCertificate } from '../../daemon/tls/certificate-authority.js';
import { runCortex } from '../helpers/cli.js';
import { eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

const DAY_MS = 86_400_000;

/**
 * Certificates end. A node whose certificate is really expired (issued with a
 * validity in the past) is refused both ways, and both sides name the reason
 * (CERT_HAS_EXPIRED) instead of a hang-up; a daemon warns at start, and `status`
 * and `cluster` say so, when its own certificate ends within 30 days.
 */
describe('certificate expiry', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let old: MeshNode;
  let soon: MeshNode;

  before(async () => {
    await mesh.init();
    const [expired, ending] = await Promise.all([
      issueCertificate(mesh.caDir, {
        commonName: 'old',
        kind: 'node',
        notBefore: new Date(Date.now() - 400 * DAY_MS),
        notAfter: new Date(Date.now() - DAY_MS),
      }),
      issueCertificate(mesh.caDir, {
        commonName: 'soon',
        kind: 'node',
        notAfter: new Date(Date.now() + 10 * DAY_MS + 3_600_000),
      }),
    ]);
    [a, old, soon] = await Promise.all([
      mesh.start('a'),
      mesh.start('old', { certificate: expired }),
      mesh.start('soon', { certificate: ending }),
    ]);
  });
  after(() => mesh.cleanup());

  it('refuses an expired certificate when it dials, naming the reason on both sides', async () => {
    await assert.rejects(old.client.call('cluster_connect', { node: a.address }), (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      assert.match(
        error.message,
        /^a refused the link: the certificate of old expired on \d{4}-\d\d-\d\d \(CERT_HAS_EXPIRED\)$/,
      );
      return true;
    });
    assert.match(
      a.daemon.stderr(),
      /warn mesh: refused old: the certificate of old expired on .* \(CERT_HAS_EXPIRED\)/,
    );
    assert.match(old.daemon.stderr(), /warn mesh: no link with a: a refused the link: .*\(CERT_HAS_EXPIRED\)/);
  });

  it('refuses an expired certificate when dialled, naming the reason on both sides', async () => {
    await assert.rejects(a.client.call('cluster_connect', { node: old.address }), (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      assert.match(
        error.message,
        /^Could not link with .+: the certificate of old expired on .* \(CERT_HAS_EXPIRED\)\.$/,
      );
      return true;
    });
    // Told why on its listener too: a second such line (the first came when it dialled).
    const told = /no link with a: a refused the link: the certificate of old expired on .* \(CERT_HAS_EXPIRED\)/g;
    await eventually('old told why', () => ((old.daemon.stderr().match(told) ?? []).length >= 2 ? true : undefined));
    const cluster = await runCortex(['--home', a.daemon.home, 'cluster', '--json']);
    const peer = (JSON.parse(cluster.stdout) as { peers: { node: string; refused: { code: string } }[] }).peers.find(
      (item) => item.node === 'old',
    );
    assert.equal(peer?.refused.code, 'CERT_HAS_EXPIRED');
  });

  it('warns at start, in status and in cluster, when its own certificate has ended or ends within 30 days', async () => {
    assert.match(
      old.daemon.stderr(),
      /warn this node's certificate \(old\) expired on \d{4}-\d\d-\d\d: peers refuse it/,
    );
    assert.match(soon.daemon.stderr(), /warn this node's certificate \(soon\) expires in 10 days, on \d{4}-\d\d-\d\d/);
    assert.doesNotMatch(a.daemon.stderr(), /this node's certificate/);

    const status = await runCortex(['--home', soon.daemon.home, 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^certificate +soon, expires \d{4}-\d\d-\d\d \(10 days\)$/m);
    assert.match(status.stdout, /^warning +this node's certificate \(soon\) expires in 10 days/m);
    const fine = await runCortex(['--home', a.daemon.home, 'status', '--json']);
    const certificate = (JSON.parse(fine.stdout) as { certificate: { days_left: number; warning: string | null } })
      .certificate;
    assert.ok(certificate.days_left > 800, String(certificate.days_left));
    assert.equal(certificate.warning, null);

    const cluster = await runCortex(['--home', old.daemon.home, 'cluster']);
    assert.equal(cluster.code, 0, cluster.stderr);
    assert.match(cluster.stdout, /^warning: this node's certificate \(old\) expired on /m);
    // A certificate near its end still works: soon links with a.
    await soon.connect(a);
  });
});
