import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { CallProof, CallStatement } from '../../daemon/mesh/call-proof.js';
import { NodeSigner } from '../../daemon/mesh/node-signer.js';
import type { PeerChannel } from '../../daemon/mesh/peer-channel.js';
import { tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { revokeCertificates } from '../../daemon/tls/revoke.js';
import { gitRepo, reaches, rejectsWith } from '../tree/tree-helpers.js';
import { eventually, type MeshNode, roguePeer, TestMesh } from './mesh-helpers.js';

/** The mesh's default max_clock_drift_ms, which bounds how old a signature may be. */
const MAX_DRIFT_MS = 60_000;

/**
 * A compromised node m of the mesh (a valid node certificate from its CA),
 * linked to c, relays calls it says come from a, where c maps a's root onto
 * its own root. A relay is no longer believed: c runs a call of a's only with
 * a's signature over exactly that call, fresh, and once. Before, c ran every
 * one of these as root (route [a, m] ending with m's link was all it asked).
 */
describe('attack: a relay forging calls of another node', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-forged-relay-');
  const other = gitRepo('cortex-forged-relay-other-');
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;
  let rogue: PeerChannel;
  let signedByA: NodeSigner;
  let signedByM: NodeSigner;

  const relayed = (request: Record<string, MsgValue>) =>
    rogue.request(
      'forward',
      { target: 'c', route: ['a', 'm'], identity: 'user:root@a', conn: 'x', ...request },
      10_000,
    );
  const onWire = (proof: CallProof): MsgValue => ({ ...proof });
  const statement = (method: string, params: MsgValue): CallStatement => ({
    identity: 'user:root@a',
    origin: 'a',
    target: 'c',
    conn: 'x',
    method,
    params,
  });
  const workspaces = async () => (await c.client.call('workspace_list', {})).workspaces.map((w) => w.path);

  before(async () => {
    await mesh.init();
    [a, b, c] = await Promise.all([mesh.start('a'), mesh.start('b'), mesh.start('c')]);
    await c.client.call('acl_map', { identity: 'user:root@a', user: 'root' });
    await a.connect(b);
    await b.connect(c);
    await reaches(a, 'c');
    await c.client.call('workspace_add', { path: repo.path });
    await c.client.call('create_table', { name: 'private', attributes: ['k'], replicate: 'local' });
    await c.client.call('put', { table: 'private', record: { k: 'a secret of root@c' } });
    rogue = await roguePeer(mesh, 'm', c);
    // m's own locate, on its own link, is answered once c has taken its hello.
    await eventually('c to open the link with m', async () => {
      await rogue.request(
        'forward',
        {
          target: 'c',
          route: ['m'],
          identity: 'node:m',
          conn: 'x',
          method: 'locate',
          params: { id: 's_000000000000' },
        },
        10_000,
      );
      return true;
    });
    const aFiles = tlsPaths(mesh.configDir('a'));
    signedByA = new NodeSigner({ cert: aFiles.nodeCert, key: aFiles.nodeKey });
    signedByM = new NodeSigner({ cert: `${mesh.root}/m.crt`, key: `${mesh.root}/m.key` });
  });
  after(async () => {
    rogue?.close('done');
    await mesh.cleanup();
    repo.remove();
    other.remove();
  });

  it('refuses a call said to be a’s, relayed with no signature', async () => {
    await rejectsWith(
      relayed({ method: 'workspace_add', params: { path: other.path } }),
      'EACCES',
      /user:root@a was refused: it was relayed, and carries no signature of a/,
    );
    assert.deepEqual(await workspaces(), [repo.path]);
  });

  it('refuses a call said to be a’s, signed with m’s own key', async () => {
    const params = { path: other.path };
    const proof = signedByM.prove(statement('workspace_add', params), Date.now());
    await rejectsWith(
      relayed({ method: 'workspace_add', params, proof: onWire(proof) }),
      'EACCES',
      /the certificate it carries for a was issued to m/,
    );
    assert.deepEqual(await workspaces(), [repo.path]);
  });

  it('refuses a’s signature over other params', async () => {
    const proof = signedByA.prove(statement('workspace_add', { path: repo.path }), Date.now());
    await rejectsWith(
      relayed({ method: 'workspace_add', params: { path: other.path }, proof: onWire(proof) }),
      'EACCES',
      /its signature is not a's over this call/,
    );
    assert.deepEqual(await workspaces(), [repo.path]);
  });

  it('refuses a’s signature over another method', async () => {
    const proof = signedByA.prove(statement('workspace_list', {}), Date.now());
    await rejectsWith(
      relayed({ method: 'workspace_remove', params: { workspace: 'w_000000000000' }, proof: onWire(proof) }),
      'EACCES',
      /its signature is not a's over this call/,
    );
  });

  it('runs a call a signed once, and refuses it replayed', async () => {
    const proof = signedByA.prove(statement('workspace_list', {}), Date.now());
    const answer = (await relayed({ method: 'workspace_list', params: {}, proof: onWire(proof) })) as {
      workspaces: unknown[];
    };
    assert.equal(answer.workspaces.length, 1);
    await rejectsWith(relayed({ method: 'workspace_list', params: {}, proof: onWire(proof) }), 'EACCES', /a replay/);
  });

  it('refuses a’s signature older than the clock drift allows', async () => {
    const proof = signedByA.prove(statement('workspace_list', {}), Date.now() - 2 * MAX_DRIFT_MS);
    await rejectsWith(
      relayed({ method: 'workspace_list', params: {}, proof: onWire(proof) }),
      'EACCES',
      /it was signed 120 s ago, past the 60 s allowed/,
    );
  });

  it('refuses a query_mesh said to be a’s, relayed by m with no signature', async () => {
    const request = {
      table: 'private',
      pattern: {},
      limit: 100,
      identity: 'user:root@a',
      timeout_ms: 5000,
      exclude: [],
    };
    const answer = (await rogue.request('query', request, 10_000)) as { answers: Record<string, unknown>[] };
    assert.deepEqual(
      answer.answers.map((one) => [one['node'], one['code'], one['records']]),
      [['c', 'EACCES', undefined]],
    );
    assert.match(String(answer.answers[0]!['message']), /carries no signature of a/);
  });

  it('still runs a’s calls and queries relayed by an honest b', async () => {
    const { workspaces: listed } = await a.client.call('workspace_list', { node: 'c' });
    assert.deepEqual(
      listed.map((w) => w.path),
      [repo.path],
    );
    const queried = await a.client.call('query_mesh', { table: 'private', pattern: {} });
    assert.deepEqual(
      queried.records.map((one) => one.node),
      ['c'],
    );
  });

  it('refuses a’s signature, checked before, once a’s certificate is revoked', async () => {
    const serial = new X509Certificate(readFileSync(tlsPaths(mesh.configDir('a')).nodeCert)).serialNumber;
    const revoked = await revokeCertificates(mesh.caDir, join(mesh.root, 'ca-data'), { serial });
    assert.equal((await c.client.call('cluster_revocations', { crl: readFileSync(revoked.file) })).taken, true);
    const proof = signedByA.prove(statement('workspace_list', {}), Date.now());
    await rejectsWith(
      relayed({ method: 'workspace_list', params: {}, proof: onWire(proof) }),
      'EACCES',
      /a's certificate \(serial [0-9a-f]+\) is revoked/,
    );
  });
});
