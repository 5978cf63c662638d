import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { connectTls } from '../../src/client/remote.js';
import { type CortexError } from '../../src/protocol/errors.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { homePaths } from '../../src/paths.js';
import { initCa, issueCertificate, issueToFiles, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { runCortex } from '../helpers/cli.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';

/** Reads the first complete msgpack message a raw socket receives, or null if it closes first. */
function firstMessage(socket: NodeJS.ReadableStream & { destroy(): void }): Promise<unknown> {
  return new Promise((resolve) => {
    const scanner = new FrameScanner();
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      const end = scanner.scan(chunk, 0);
      if (end !== -1) {
        resolve(decode(all.subarray(0, all.length - chunk.length + end)));
        socket.destroy();
      }
    });
    socket.on('close', () => resolve(null));
    socket.on('error', () => resolve(null));
  });
}

describe('remote access over TLS, tokens and certificates', () => {
  let daemon: DaemonHandle;
  let address: string;
  let caFile: string;
  let token: string;
  const local = (...args: string[]) => runCortex(['--home', daemon.home, ...args]);
  const remote = (...args: string[]) => runCortex(['--host', address, '--ca', caFile, ...args]);

  before(async () => {
    const home = tempDir('cortex-tls-');
    await initCa(homePaths(home.path).configDir);
    daemon = await startDaemon({ home: home.path, args: ['--listen', '127.0.0.1:0', '--node-name', 'a'] });
    address = /tls listening on (\S+)/.exec(daemon.stderr())![1]!;
    caFile = tlsPaths(homePaths(daemon.home).configDir).caCert;
    const created = await local('token', 'create', '--name', 'ci-bot');
    assert.equal(created.code, 0, created.stderr);
    token = created.stdout.trim();
    assert.match(token, /^ctk_[A-Za-z0-9_-]{40,}$/);
    assert.equal((await local('create_table', 'private', 'k')).code, 0);
    assert.equal((await local('put', 'private', '{"k":"a","secret":1}')).code, 0);
  });
  after(() => cleanup(daemon));

  it('identifies a token client as token:NAME@NODE and applies ACLs to it', async () => {
    const status = await remote('--token', token, 'status', '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { identity: string }).identity, 'token:ci-bot@a');
    for (const args of [
      ['get', 'private', 'a'],
      ['query', 'private', '{}'],
      ['all', 'private'],
      ['put', 'private', '{"k":"b"}'],
    ]) {
      const denied = await remote('--token', token, ...args);
      assert.equal(denied.code, 5, args.join(' '));
      assert.match(denied.stderr, /token:ci-bot@a may not (read|write) private/);
    }
    assert.doesNotMatch((await remote('--token', token, 'tables')).stdout, /private/);
    // A grant to the user ci-bot is not one to the token ci-bot.
    assert.equal((await local('acl', 'grant', 'ci-bot', 'private', 'read')).code, 0);
    assert.equal((await remote('--token', token, 'get', 'private', 'a')).code, 5);
    assert.equal((await local('acl', 'revoke', 'ci-bot', 'private')).code, 0);
    assert.equal((await local('acl', 'grant', 'token:ci-bot', 'private', 'read')).code, 0);
    const got = await remote('--token', token, 'get', 'private', 'a');
    assert.equal(got.code, 0, got.stderr);
    assert.equal((JSON.parse(got.stdout) as { secret: number }).secret, 1);
    assert.equal((await local('acl', 'revoke', 'token:ci-bot@a', 'private')).code, 0);
  });

  it('never shows token secrets or the _tokens table to anyone', async () => {
    const list = await local('token', 'list', '--json');
    const entry = JSON.parse(list.stdout.trim().split('\n')[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry).sort(), ['created', 'creator', 'last_used', 'name']);
    assert.doesNotMatch(list.stdout, new RegExp(token.slice(4, 20)));
    assert.match(
      (await remote('--token', token, 'get', '_tokens', 'ci-bot')).stderr,
      /system tables are for administrators/,
    );
    assert.match(
      (await remote('--token', token, 'query', '_tokens', '{}')).stderr,
      /system tables are for administrators/,
    );
    assert.match((await remote('--token', token, 'token', 'list')).stderr, /only administrators/);
    assert.equal((await local('get', '_tokens', 'ci-bot')).code, 3, 'not a data table, even for an administrator');
  });

  it('refuses a wrong token slowly, logs it, and refuses data calls before auth', async () => {
    const started = Date.now();
    const wrong = await remote('--token', 'ctk_wrong', 'status');
    assert.equal(wrong.code, 5);
    assert.match(wrong.stderr, /The token is not valid/);
    assert.ok(Date.now() - started >= 900, 'a failed auth is answered after a delay');
    assert.match(daemon.stderr(), /failed auth from 127\.0\.0\.1/);

    const anonymous = await connectTls({ address, ca: caFile });
    try {
      assert.deepEqual(await anonymous.call('ping', {}), { pong: true });
      await assert.rejects(anonymous.call('tables', {}), (error: CortexError) => {
        assert.equal(error.code, 'EACCES');
        assert.match(error.message, /Authenticate first/);
        return true;
      });
    } finally {
      anonymous.close();
    }
  });

  it('closes open connections of a token when it is revoked', async () => {
    assert.equal((await local('token', 'create', '--name', 'temp')).code, 0);
    const tokenText = (await local('token', 'create', '--name', 'temp2')).stdout.trim();
    const client: Client = await connectTls({ address, ca: caFile, token: tokenText });
    const closed = new Promise<void>((resolve) => client.onClose(resolve));
    assert.equal((await client.call('status', {})).identity, 'token:temp2@a');
    assert.equal((await local('token', 'revoke', 'temp2')).code, 0);
    await closed;
    await assert.rejects(connectTls({ address, ca: caFile, token: tokenText }), { code: 'EACCES' });
  });

  it('identifies a client certificate as cert:CN@NODE, and refuses other CAs and expired certificates', async () => {
    const configDir = homePaths(daemon.home).configDir;
    const alice = await issueToFiles(configDir, { commonName: 'alice', kind: 'client' });
    const client = await connectTls({ address, ca: caFile, cert: alice.cert, key: alice.key });
    assert.equal((await client.call('status', {})).identity, 'cert:alice@a');
    client.close();

    const other = tempDir('cortex-other-ca-');
    try {
      await initCa(other.path);
      const foreign = await issueCertificate(other.path, { commonName: 'mallory', kind: 'client' });
      const expired = await issueCertificate(configDir, {
        commonName: 'old',
        kind: 'client',
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      });
      for (const [certificate, reason] of [
        [
          foreign,
          /certificate was refused: the certificate of mallory is not from this mesh's CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
        ],
        [expired, /certificate was refused: the certificate of old expired on .* \(CERT_HAS_EXPIRED\)/],
      ] as const) {
        const socket = tlsConnect({
          host: '127.0.0.1',
          port: Number(address.split(':')[1]),
          ca: readFileSync(caFile),
          ...certificate,
        });
        const message = await firstMessage(socket);
        assert.ok(Array.isArray(message), 'the daemon says why before closing');
        assert.equal(message[0], 2);
        assert.equal((message[2] as { code: string }).code, 'EACCES');
        assert.match((message[2] as { message: string }).message, reason);
      }
    } finally {
      other.remove();
    }
  });

  it('drops plain TCP and garbage at the handshake, and keeps serving', async () => {
    const port = Number(address.split(':')[1]);
    const plain = netConnect(port, '127.0.0.1');
    plain.write(encode([0, 1, 'auth', { token }]));
    assert.equal(await firstMessage(plain), null, 'no answer on plain TCP');

    const garbage = netConnect(port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => garbage.on('close', () => resolve()));
    garbage.on('error', () => undefined);
    const chunk = Buffer.alloc(1 << 20, 0x5a);
    for (let i = 0; i < 16 && !garbage.destroyed; i++) garbage.write(chunk);
    await closed;

    const status = await remote('--token', token, 'status', '--json');
    assert.equal(status.code, 0, status.stderr);
  });

  it('reaches the daemon through `cortex --ssh`, whose bridge the daemon sees by uid', async () => {
    const dir = tempDir('cortex-ssh-');
    try {
      // Stand-in for ssh: ignores the host and runs the remote command's bridge as uid 65534.
      const fakeSsh = join(dir.path, 'fake-ssh');
      writeFileSync(
        fakeSsh,
        `#!/bin/sh\nexec setpriv --reuid 65534 --regid 65534 --clear-groups "${process.execPath}" "${CORTEX_BIN}" --socket "${daemon.socket}" bridge\n`,
      );
      chmodSync(fakeSsh, 0o755);
      chmodSync(daemon.home, 0o711);
      chmodSync(daemon.socket, 0o666);
      const viaSsh = await runCortex(['--ssh', 'devbox', 'status', '--json'], { env: { CORTEX_SSH: fakeSsh } });
      assert.equal(viaSsh.code, 0, viaSsh.stderr);
      assert.equal((JSON.parse(viaSsh.stdout) as { identity: string }).identity, 'user:nobody@a');
      const denied = await runCortex(['--ssh', 'devbox', 'get', 'private', 'a'], { env: { CORTEX_SSH: fakeSsh } });
      assert.equal(denied.code, 5);
      assert.match(denied.stderr, /user:nobody@a may not read private/);
    } finally {
      chmodSync(daemon.home, 0o700);
      chmodSync(daemon.socket, 0o600);
      dir.remove();
    }
  });
});
