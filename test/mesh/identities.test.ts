import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { connectTls } from '../../src/client/remote.js';
import type { CortexError } from '../../src/protocol/errors.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { issueCertificate } from '../../daemon/tls/certificate-authority.js';
import { runCortex } from '../helpers/cli.js';
import { converged, eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

/** Writes a certificate of the mesh's CA for `name` and returns its files. */
async function certificate(mesh: TestMesh, name: string, kind: 'client' | 'node') {
  const issued = await issueCertificate(join(mesh.root, 'ca'), { commonName: name, kind });
  const files = { cert: join(mesh.root, `${kind}-${name}.crt`), key: join(mesh.root, `${kind}-${name}.key`) };
  writeFileSync(files.cert, issued.cert);
  writeFileSync(files.key, issued.key, { mode: 0o600 });
  return files;
}

/** Sends `message` to a peer listener as a peer would after its hello, and resolves with the answer to msgid 1. */
function askAsPeer(port: number, files: { cert: string; key: string; ca: string }, hello: unknown, message: unknown) {
  return new Promise<unknown>((resolve, reject) => {
    const socket: TLSSocket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(files.ca),
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
      rejectUnauthorized: false,
    });
    let buffered = Buffer.alloc(0);
    socket.on('secureConnect', () => socket.write(Buffer.concat([encode(hello), encode(message)])));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = new FrameScanner().scan(buffered, 0);
        if (end === -1) return;
        const decoded = decode(buffered.subarray(0, end)) as unknown[];
        buffered = buffered.subarray(end);
        if (decoded[0] === 1 && decoded[1] === 1) {
          socket.destroy();
          resolve(decoded[3] ?? decoded[2]);
          return;
        }
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('the peer listener closed the link before answering')));
  });
}

/**
 * Identities name their node, and each node decides for itself what another
 * node's identities may do. Attacks: a client certificate with CN=root, a
 * query_mesh carried to another node, and a peer that speaks for a local user.
 */
describe('identities across nodes', () => {
  const mesh = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;
  let caFile: string;
  let rootCert: { cert: string; key: string };
  const onA = (...args: string[]) => runCortex(['--home', a.daemon.home, ...args]);
  const onB = (...args: string[]) => runCortex(['--home', b.daemon.home, ...args]);
  const tlsAddress = (node: MeshNode) => /tls listening on (\S+)/.exec(node.daemon.stderr())![1]!;
  const clients: Client[] = [];
  const asCert = async (node: MeshNode) => {
    const client = await connectTls({ address: tlsAddress(node), ca: caFile, ...rootCert });
    clients.push(client);
    return client;
  };

  before(async () => {
    await mesh.init();
    const listen = { args: ['--listen', '127.0.0.1:0'] };
    [a, b] = await Promise.all([mesh.start('a', listen), mesh.start('b', listen)]);
    await a.connect(b);
    caFile = join(mesh.root, 'ca', 'ca.crt');
    rootCert = await certificate(mesh, 'root', 'client');
    // root of a owns a replicated table; root of b owns a table that never leaves b.
    await a.client.call('create_table', { name: 'vault', attributes: ['k', 'v'], replicate: 'mesh' });
    await a.client.call('put', { table: 'vault', record: { k: 'key', v: 'a secret of root@a' } });
    await b.client.call('create_table', { name: 'private', attributes: ['k', 'v'], replicate: 'local' });
    await b.client.call('put', { table: 'private', record: { k: 'key', v: 'a secret of root@b' } });
    await converged([a, b], 'vault');
  });
  after(async () => {
    for (const client of clients) client.close();
    await mesh.cleanup();
  });

  it('a client certificate with CN=root is cert:root@NODE: it owns none of root’s tables, here or there', async () => {
    const [certOnA, certOnB] = await Promise.all([asCert(a), asCert(b)]);
    for (const [client, node] of [
      [certOnA, 'a'],
      [certOnB, 'b'],
    ] as const) {
      for (const table of node === 'a' ? ['vault'] : ['vault', 'private']) {
        const denied = (error: CortexError) => {
          assert.equal(error.code, 'EACCES');
          assert.match(error.message, new RegExp(`^cert:root@${node} may not`));
          return true;
        };
        await assert.rejects(client.call('get', { table, key: 'key' }), denied);
        await assert.rejects(client.call('put', { table, record: { k: 'key', v: 'overwritten' } }), denied);
        await assert.rejects(client.call('drop_table', { name: table }), denied);
      }
      assert.deepEqual((await client.call('tables', {})).tables, []);
    }
    assert.equal((await onB('get', 'private', 'key')).stdout.trim(), '{"k":"key","v":"a secret of root@b"}');
    assert.equal((await onB('get', 'vault', 'key')).stdout.trim(), '{"k":"key","v":"a secret of root@a"}');
    assert.equal((await certOnA.call('status', {})).identity, 'cert:root@a');
    assert.equal((await certOnB.call('status', {})).identity, 'cert:root@b');
    assert.equal((await a.client.call('status', {})).identity, 'user:root@a');
    const tables = (await b.client.call('tables', {})).tables.map((table) => [table.name, table.owner]);
    assert.deepEqual(tables, [
      ['private', 'user:root@b'],
      ['vault', 'user:root@a'],
    ]);
  });

  it('query_mesh carries the full identity: neither the certificate nor root@a reads root@b’s local table', async () => {
    const certOnA = await asCert(a);
    const byCert = await certOnA.call('query_mesh', { table: 'private', pattern: {} });
    assert.deepEqual(byCert.records, []);
    assert.deepEqual(
      byCert.nodes.failed.map((failure) => [failure.node, failure.code, failure.message]),
      [
        ['a', 'ENOTFOUND', 'There is no table named "private" on a.'],
        ['b', 'EACCES', 'cert:root@a may not read private (no read permission).'],
      ],
    );
    // root of a administers a, not b.
    const byRoot = await a.client.call('query_mesh', { table: 'private', pattern: {} });
    assert.deepEqual(byRoot.records, []);
    assert.deepEqual(
      byRoot.nodes.failed.find((failure) => failure.node === 'b'),
      { node: 'b', code: 'EACCES', message: 'user:root@a may not read private (no read permission).' },
    );
  });

  it('a mapping lets a remote identity act as a local user of the node that maps it, until unmapped', async () => {
    // On b, the local user nobody may read private; root@a is mapped onto nobody.
    assert.equal((await onB('acl', 'grant', 'nobody', 'private', 'read')).code, 0);
    const refused = await onA('query_mesh', 'private', '{}');
    assert.match(refused.stderr, /^b: user:root@a may not read private/m);

    const mapped = await onB('acl', 'map', 'root@a', 'nobody');
    assert.equal(mapped.code, 0, mapped.stderr);
    assert.equal(mapped.stdout, 'user:root@a\tacts as nobody\t(by user:root@b)\n');
    const listed = await onB('acl', 'list', '--json');
    assert.match(listed.stdout, /"mapping":\{"identity":"user:root@a","user":"nobody","mapped_by":"user:root@b"/);
    const read = await onA('query_mesh', 'private', '{}');
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, '{"node":"b","record":{"k":"key","v":"a secret of root@b"}}\n');

    const unmapped = await onB('acl', 'unmap', 'user:root@a');
    assert.equal(unmapped.code, 0, unmapped.stderr);
    assert.match((await onA('query_mesh', 'private', '{}')).stderr, /^b: user:root@a may not read private/m);
    const again = await onB('acl', 'unmap', 'root@a');
    assert.equal(again.code, 3);
    assert.equal(again.stderr, 'cortex acl: user:root@a is not mapped onto a local user.\n');
  });

  it('only administrators map, onto users that exist, and never a local user or a node', async () => {
    const certOnB = await asCert(b);
    await assert.rejects(certOnB.call('acl_map', { identity: 'root@a', user: 'root' }), (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      assert.match(error.message, /^cert:root@b may not map identities onto local users: only administrators/);
      return true;
    });
    for (const [identity, user, code, message] of [
      ['root@a', 'no-such-user-here', 'ENOTFOUND', /There is no local user named no-such-user-here on b/],
      ['root', 'nobody', 'EINVAL', /user:root@b is already a local user of b/],
      ['node:a', 'nobody', 'EINVAL', /node:a is a node/],
      ['who?', 'nobody', 'EINVAL', /params\.identity must be an identity/],
    ] as const) {
      await assert.rejects(b.client.call('acl_map', { identity, user }), (error: CortexError) => {
        assert.equal(error.code, code, identity);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it('a peer may not speak for an identity of the node it asks', async () => {
    const peer = { ...(await certificate(mesh, 'mallory', 'node')), ca: caFile };
    const now = Date.now();
    const hello = [
      2,
      'hello',
      {
        proto: 2,
        node: 'mallory',
        version: 'x',
        clock: now,
        hlc: 0,
        checkpoint: 0,
        seen: 0,
        resync: false,
        horizons: [],
      },
    ];
    // Speaking for b's root, in the short form a name once had and in the full form.
    for (const [identity, why] of [
      ['root', '"root" is not an identity'],
      ['user:root@b', 'a peer may not speak for user:root@b, an identity of b itself'],
    ]) {
      const forged = { table: 'private', pattern: {}, limit: 10, identity, timeout_ms: 1000, exclude: [] };
      const answer = (await askAsPeer(b.port, peer, hello, [0, 1, 'query', forged])) as { answers: unknown[] };
      assert.deepEqual(answer.answers, [{ node: 'b', code: 'EACCES', message: `b refused the query: ${why}.` }]);
    }
    await eventually('the refusal in b’s log', () =>
      b.daemon.stderr().includes('a query_mesh relayed by a peer was refused') ? true : undefined,
    );
  });
});
