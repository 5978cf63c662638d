import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { connectTls } from '../../src/client/remote.js';
import type { CortexError } from '../../src/protocol/errors.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { homePaths } from '../../src/paths.js';
import { initCa, issueCertificate, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { runCortex } from '../helpers/cli.js';
import { converged, eventually, type MeshNode, TestMesh } from './mesh-helpers.js';

/** Connects to a mesh listener with the given credentials, says hello, and returns every message that came back. */
function probe(port: number, credentials: { cert?: string; key?: string; ca: Buffer }): Promise<MsgValue[]> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...credentials, rejectUnauthorized: false });
    const chunks: Buffer[] = [];
    socket.on('secureConnect', () => socket.write(encode([2, 'hello', {}])));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const bytes = Buffer.concat(chunks);
      const messages: MsgValue[] = [];
      const scanner = new FrameScanner(64);
      for (let offset = 0; offset < bytes.length;) {
        const end = scanner.scan(bytes, offset);
        if (end === -1) break;
        messages.push(decode(bytes.subarray(offset, end)));
        offset = end;
      }
      resolve(messages);
    });
  });
}

/**
 * Who may join the mesh and who may drive it. A peer must present a node
 * certificate from the shared CA: no certificate, another CA's, or a client
 * certificate of the right CA is refused before anything is exchanged, and told
 * why in a single `bye`. The peer
 * protocol is unreachable from the client socket, cluster_* are for
 * administrators, and query_mesh is checked against each answering node's ACLs.
 */
describe('mesh security', () => {
  const mesh = new TestMesh();
  const outsiders = new TestMesh();
  let a: MeshNode;
  let b: MeshNode;
  let caFile: string;
  let bot: Client | undefined;

  before(async () => {
    await Promise.all([mesh.init(), outsiders.init()]);
    [a, b] = await Promise.all([mesh.start('a', { args: ['--listen', '127.0.0.1:0'] }), mesh.start('b')]);
    await a.connect(b);
    caFile = tlsPaths(homePaths(a.daemon.home).configDir).caCert;
    const created = await runCortex(['--home', a.daemon.home, 'token', 'create', '--name', 'bot']);
    assert.equal(created.code, 0, created.stderr);
    const address = /tls listening on (\S+)/.exec(a.daemon.stderr())![1]!;
    bot = await connectTls({ address, ca: caFile, token: created.stdout.trim() });
  });
  after(async () => {
    bot?.close();
    await mesh.cleanup();
    await outsiders.cleanup();
  });

  it('refuses peers without a node certificate from the shared CA, before anything is exchanged, saying why', async () => {
    const ca = readFileSync(caFile);
    const other = join(mesh.root, 'other-ca');
    await initCa(other);
    const foreign = await issueCertificate(other, { commonName: 'mallory', kind: 'node' });
    const client = await issueCertificate(mesh.caDir, { commonName: 'alice', kind: 'client' });
    for (const [credentials, reason] of [
      [{ ca }, /a refused the link: it presented no certificate \(NO_CERTIFICATE\)$/],
      [{ ca, ...foreign }, /a refused the link: the certificate of mallory is not from this mesh's CA \(UNABLE_TO_/],
      [
        { ca, ...client },
        /a refused the link: the certificate of alice is a client certificate, not a node certificate/,
      ],
    ] as const) {
      // One message, the refusal: no hello, nothing of the mesh.
      const messages = await probe(a.port, credentials);
      assert.equal(messages.length, 1, JSON.stringify(messages));
      const [kind, method, bye] = messages[0] as [number, string, { code: string; message: string }];
      assert.deepEqual([kind, method, bye.code], [2, 'bye', 'EACCES']);
      assert.match(bye.message, reason);
    }
    await eventually('three refusals in the log', () =>
      (a.daemon.stderr().match(/warn mesh: refused \S+/g) ?? []).length >= 3 ? true : undefined,
    );
    assert.match(
      a.daemon.stderr(),
      /refused 127\.0\.0\.1:\d+ \(calling itself alice\): the certificate of alice is a client certificate/,
    );

    // A node of another mesh (another CA) cannot be dialled either.
    const stranger = await outsiders.start('mallory');
    await assert.rejects(a.client.call('cluster_connect', { node: stranger.address }), (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      assert.match(
        error.message,
        /^Could not link with 127\.0\.0\.1:\d+: the certificate of mallory is not from this mesh's CA/,
      );
      return true;
    });
    assert.deepEqual(
      (await a.client.call('cluster_status', {})).peers.map((peer) => peer.node),
      ['b'],
    );
  });

  it('keeps the peer protocol away from clients, and cluster_* for administrators', async () => {
    for (const method of ['hello', 'changes', 'ack', 'query']) {
      await assert.rejects(a.client.request(method, {}), { code: 'ENOTFOUND' });
    }
    for (const [method, params] of [
      ['cluster_status', {}],
      ['cluster_connect', { node: b.address }],
      ['cluster_disconnect', { node: 'b' }],
      ['subscribe', { topic: 'mesh:events' }],
    ] as const) {
      await assert.rejects(bot!.request(method, params), (error: CortexError) => {
        assert.equal(error.code, 'EACCES', method);
        assert.match(error.message, /^token:bot@a may not .*administrators/);
        return true;
      });
    }
  });

  it('checks query_mesh against the ACLs of each node that answers', async () => {
    await a.client.call('create_table', { name: 'shared', attributes: ['id', 'v'], replicate: 'mesh' });
    await a.client.call('put', { table: 'shared', record: { id: 'one', v: 1 } });
    await converged([a, b], 'shared');
    // a's token bot may read shared on b only: a's ACLs say no, b's say yes (to token:bot@a, in full).
    const granted = await runCortex(['--home', b.daemon.home, 'acl', 'grant', 'token:bot@a', 'shared', 'read']);
    assert.equal(granted.code, 0, granted.stderr);
    const result = await bot!.call('query_mesh', { table: 'shared', pattern: {} });
    assert.deepEqual(result.records, [{ node: 'b', record: { id: 'one', v: 1 } }]);
    assert.deepEqual(result.nodes.answered, ['b']);
    assert.deepEqual(
      result.nodes.failed.map((failure) => [failure.node, failure.code]),
      [['a', 'EACCES']],
    );
  });

  it('lists a node that does not answer in time separately, without waiting for it', async () => {
    b.daemon.process.kill('SIGSTOP');
    try {
      const started = Date.now();
      const result = await a.client.call('query_mesh', { table: 'shared', pattern: {}, timeout_ms: 300 });
      assert.ok(Date.now() - started < 2000);
      assert.deepEqual(result.nodes.answered, ['a']);
      assert.deepEqual(
        result.nodes.failed.map((failure) => [failure.node, failure.code]),
        [['b', 'ETIMEDOUT']],
      );
      assert.deepEqual(result.records, [{ node: 'a', record: { id: 'one', v: 1 } }]);
      // The CLI prints records with their node, and the nodes that failed on stderr. On a loaded
      // machine the CLI may start after a has given up on the silent link: b is then reported as such.
      const cli = await runCortex(['--home', a.daemon.home, 'query', 'shared', '{}', '--mesh', '--timeout', '300']);
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual(JSON.parse(cli.stdout), { node: 'a', record: { id: 'one', v: 1 } });
      assert.match(cli.stderr, /^b: b (did not answer within 300 ms|sent nothing for \d+ ms)/);
    } finally {
      b.daemon.process.kill('SIGCONT');
    }
  });
});
