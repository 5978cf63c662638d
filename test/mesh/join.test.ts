import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { homePaths } from '../../src/paths.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { initCa, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { formatJoinToken } from '../../daemon/mesh/join-token.js';
import { runCortex } from '../helpers/cli.js';
import { type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { eventually, FAST_MESH, type MeshNode, TestMesh } from './mesh-helpers.js';

/**
 * Joining with a one-time token, as k3s and Tailscale do: `mesh invite` on the
 * CA machine prints a token, `mesh join TOKEN HOST:PORT` on the new node makes
 * the node's key there, gets its certificate, opens its mesh listener and links.
 * ca.key never leaves the CA machine. The attacks: a token used twice, used by
 * another name, expired, guessed, or pointed at another mesh's node.
 */
describe('joining with a token', () => {
  const mesh = new TestMesh({ caOn: 'a' });
  const bare: DaemonHandle[] = [];
  let a: MeshNode;
  let b: MeshNode;

  /** A daemon with no certificate at all, named `name`, as a new machine has. */
  async function newNode(name: string, listen = false): Promise<DaemonHandle> {
    const daemon = await startDaemon({
      home: join(mesh.root, name),
      config: FAST_MESH,
      args: ['--node-name', name, ...(listen ? ['--mesh-listen', '127.0.0.1:0'] : [])],
    });
    bare.push(daemon);
    return daemon;
  }
  const invite = async (...args: string[]) => {
    const result = await runCortex(['--home', a.daemon.home, 'mesh', 'invite', ...args]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.trim();
  };
  const joinAs = (node: DaemonHandle, token: string, address = a.address) =>
    runCortex(['--home', node.home, 'mesh', 'join', token, address]);

  before(async () => {
    await mesh.init();
    [a, b] = await Promise.all([mesh.start('a'), mesh.start('b')]);
    await a.client.call('create_table', { name: 'notes', attributes: ['id', 'v'], replicate: 'mesh' });
    await a.client.call('put', { table: 'notes', record: { id: 'n1', v: 1 } });
  });
  after(async () => {
    for (const daemon of bare) await daemon.kill();
    await mesh.cleanup();
  });

  it('joins a new node with one command on each side; its key is made there and ca.key stays', async () => {
    const printed = await runCortex(['--home', a.daemon.home, 'mesh', 'invite', '--name', 'd']);
    assert.equal(printed.code, 0, printed.stderr);
    const token = printed.stdout.trim();
    assert.match(token, /^cjt1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    assert.match(printed.stderr, new RegExp(`On the new node: cortex mesh join TOKEN ${a.address}$`, 'm'));

    const d = await newNode('d', true);
    assert.match(d.stderr(), /mesh: no listener on 127\.0\.0\.1:0 until this node has its certificate/);
    const joined = await joinAs(d, token);
    assert.equal(joined.code, 0, joined.stderr);
    assert.equal(joined.stdout, `joined the mesh: linked with a (${a.address})\n`);

    const files = tlsPaths(homePaths(d.home).configDir);
    assert.equal(existsSync(files.caKey), false, 'ca.key never leaves the CA machine');
    assert.equal(statSync(files.nodeKey).mode & 0o777, 0o600);
    assert.match(new X509Certificate(readFileSync(files.nodeCert)).subject, /CN=d/);
    assert.match(d.stderr(), /mesh listening on 127\.0\.0\.1:\d+ as node d/);
    assert.match(a.daemon.stderr(), /mesh: issued a node certificate to d \(127\.0\.0\.1:\d+\) for its invitation/);
    const onA = (await a.client.call('cluster_status', {})).peers.find((peer) => peer.node === 'd');
    assert.equal(onA?.state, 'connected');
    const dClient = await d.connect();
    try {
      await eventually('notes on d', async () =>
        (await dClient.call('get', { table: 'notes', key: 'n1' })).record !== null ? true : undefined,
      );
    } finally {
      dClient.close();
    }

    // The token is used: nobody joins with it again.
    const e = await newNode('e');
    const again = await joinAs(e, token);
    assert.equal(again.code, 5);
    assert.match(again.stderr, /a knows no such invitation: it was used already, it expired, or a restarted since/);
  });

  it('refuses a token used by another name, an expired one and a guessed one; the secret is tried once', async () => {
    const e = bare.find((daemon) => daemon.home.endsWith('/e'))!;
    const forF = await invite('--name', 'f');
    const wrongName = await joinAs(e, forF);
    assert.equal(wrongName.code, 5);
    assert.match(wrongName.stderr, /The invitation is for a node named f, and this node is e/);
    const f = await newNode('f');
    assert.match((await joinAs(f, forF)).stderr, /knows no such invitation/, 'the invitation was void after one try');

    const expired = await invite('--ttl', '1');
    const late = await joinAs(e, expired);
    assert.equal(late.code, 5);
    assert.match(late.stderr, /knows no such invitation/);

    const caDer = new X509Certificate(readFileSync(tlsPaths(mesh.caDir).caCert)).raw;
    const guessed = formatJoinToken(caDer, randomBytes(32).toString('base64url'));
    const started = Date.now();
    const guess = await joinAs(e, guessed);
    assert.equal(guess.code, 5);
    assert.ok(Date.now() - started >= 1000, 'a wrong secret is answered slowly');
    assert.match(
      a.daemon.stderr(),
      /warn mesh: 127\.0\.0\.1:\d+ tried to join as e with an invitation that is unknown, used or expired/,
    );
    assert.equal(existsSync(tlsPaths(homePaths(e.home).configDir).nodeCert), false);
  });

  it('sends nothing to a node of another mesh, joins only through the CA machine, and invites only there', async () => {
    const e = bare.find((daemon) => daemon.home.endsWith('/e'))!;
    const otherDir = join(mesh.root, 'other-ca');
    await initCa(otherDir);
    const otherCa = new X509Certificate(readFileSync(tlsPaths(otherDir).caCert)).raw;
    const token = formatJoinToken(otherCa, randomBytes(32).toString('base64url'));
    const lines = a.daemon.stderr().split('\n').length;
    const refused = await joinAs(e, token);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /is not a node of the mesh this invitation is for .*nothing was sent to it/);
    assert.doesNotMatch(a.daemon.stderr().split('\n').slice(lines).join('\n'), /tried to join/);

    // b is a node of the mesh but not the CA machine: it takes no joins, and the token stays good for a.
    const token2 = await invite();
    const atB = await joinAs(e, token2, b.address);
    assert.equal(atB.code, 5);
    assert.match(atB.stderr, /takes no joins: b refused the link: it presented no certificate \(NO_CERTIFICATE\)/);
    const atA = await joinAs(e, token2);
    assert.equal(atA.code, 0, atA.stderr);

    // Garbage where a join request should be closes only that connection.
    for (const bytes of [
      Buffer.from([0xc1, 0xc1, 0xc1]),
      encode([0, 1, 'join', { secret: 42 }]),
      encode([0, 1, 'hello', {}]),
    ]) {
      const socket = tlsConnect({ host: '127.0.0.1', port: a.port, rejectUnauthorized: false });
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      socket.end(bytes);
      socket.resume();
      await new Promise((resolve) => socket.once('close', resolve));
    }
    assert.equal((await a.client.call('ping', {})).pong, true);

    const fromB = await runCortex(['--home', b.daemon.home, 'mesh', 'invite']);
    assert.equal(fromB.code, 3);
    assert.match(fromB.stderr, /b does not hold the mesh's CA: invite from the machine that ran cortex ca init/);
    const twice = await joinAs(
      bare.find((daemon) => daemon.home.endsWith('/d'))!,
      await invite(),
    );
    assert.equal(twice.code, 4);
    assert.match(twice.stderr, /This node has a certificate already .*--force replaces it/);
  });
});
