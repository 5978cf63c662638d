import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { VERSION } from '../../src/version.js';
import { PeerChannel } from '../../daemon/mesh/peer-channel.js';
import { dialPeer } from '../../daemon/mesh/peer-tls.js';
import { PROTOCOL } from '../../daemon/mesh/wire.js';
import { issueCertificate, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { eventually, type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, reaches, rejectsWith } from './tree-helpers.js';

/**
 * Who a forwarded call acts as. c maps a's user onto its own and nobody
 * else's: b's calls are refused naming b's identity, and a peer m with a valid
 * node certificate of the mesh's CA (a compromised node) cannot speak for a,
 * for c itself, through a route it did not come by, or beyond the node-owned
 * methods (test/mesh/attack-forged-relay.test.ts: what a's signature must cover).
 */
describe('forwarded identities', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tree-identity-');
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;
  let rogue: PeerChannel;

  /** Sends a forged `forward` request to c as m, over m's own mutual-TLS link. */
  const forged = (request: Record<string, MsgValue>) =>
    rogue.request('forward', { target: 'c', conn: 'x', params: {}, ...request }, 10_000);

  before(async () => {
    await mesh.init();
    [a, b, c] = await Promise.all([mesh.start('a'), mesh.start('b'), mesh.start('c')]);
    // c lets a's root act as its own root, and nobody else.
    await c.client.call('acl_map', { identity: 'user:root@a', user: 'root' });
    await a.connect(c);
    await b.connect(c);
    await reaches(a, 'c');
    await reaches(b, 'c');
    await c.client.call('workspace_add', { path: repo.path });

    const issued = await issueCertificate(join(mesh.root, 'ca'), {
      commonName: 'm',
      kind: 'node',
      hosts: ['127.0.0.1'],
    });
    const files = {
      cert: join(mesh.root, 'm.crt'),
      key: join(mesh.root, 'm.key'),
      ca: tlsPaths(join(mesh.root, 'ca')).caCert,
    };
    writeFileSync(files.cert, issued.cert);
    writeFileSync(files.key, issued.key, { mode: 0o600 });
    const socket = await dialPeer(c.address, files, { checkHost: false });
    rogue = new PeerChannel(socket, 1 << 24, 'c');
    rogue.start({ notification: () => undefined, request: () => undefined, closed: () => undefined });
    rogue.notify('hello', {
      proto: PROTOCOL,
      node: 'm',
      version: VERSION,
      clock: Date.now(),
      hlc: 0,
      checkpoint: 0,
      seen: 0,
      resync: false,
      horizons: [],
    });
    // The link is open once c took the hello: its answer to a harmless call says so.
    await eventually('c to open the link with m', async () => {
      await forged({ route: ['m'], identity: 'node:m', method: 'locate', params: { id: 's_000000000000' } });
      return true;
    });
  });
  after(async () => {
    rogue?.close('done');
    await mesh.cleanup();
    repo.remove();
  });

  it('runs a’s calls on c as the local user a’s identity is mapped onto', async () => {
    const { workspaces } = await a.client.call('workspace_list', { node: 'c' });
    assert.equal(workspaces.length, 1);
  });

  it('refuses b’s calls, naming b’s identity, since c maps it onto nobody', async () => {
    await rejectsWith(b.client.call('workspace_list', { node: 'c' }), 'EACCES', /user:root@b has no local user on c/);
  });

  it('refuses a peer that speaks for an identity of another node, not relayed by it', async () => {
    await rejectsWith(
      forged({ route: ['m'], identity: 'user:root@a', method: 'workspace_list' }),
      'EACCES',
      /a call from m may not speak for user:root@a/,
    );
  });

  it('refuses a peer that speaks for one of c’s own identities', async () => {
    await rejectsWith(
      forged({ route: ['m'], identity: 'user:root@c', method: 'workspace_list' }),
      'EACCES',
      /no other node may speak for user:root@c/,
    );
  });

  it('refuses a route that does not end with the link it came on', async () => {
    await rejectsWith(
      forged({ route: ['a'], identity: 'user:root@a', method: 'workspace_list' }),
      'EACCES',
      /refused a call with the route a from m/,
    );
  });

  it('refuses what is not an identity, and methods that are not a node’s objects', async () => {
    await rejectsWith(
      forged({ route: ['m'], identity: 'root', method: 'workspace_list' }),
      'EACCES',
      /is not an identity/,
    );
    await rejectsWith(
      forged({ route: ['m'], identity: 'user:root@m', method: 'workspace_list' }),
      'EACCES',
      /user:root@m has no local user on c/,
    );
    await rejectsWith(
      forged({ route: ['a', 'm'], identity: 'user:root@a', method: 'token_create', params: { name: 'stolen' } }),
      'EACCES',
      /may not be called from another node/,
    );
    assert.deepEqual((await c.client.call('token_list', {})).tokens, []);
  });

  it('believes no relay for the node the call started on: a’s call relayed by m needs a’s signature', async () => {
    await rejectsWith(
      forged({ route: ['a', 'm'], identity: 'user:root@a', method: 'workspace_list' }),
      'EACCES',
      /user:root@a was refused: it was relayed, and carries no signature of a/,
    );
  });
});
