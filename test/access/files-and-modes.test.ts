import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { homePaths } from '../../src/paths.js';
import { initCa, issueToFiles, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { runCortex } from '../helpers/cli.js';
import { cleanup, startDaemon, tempDir } from '../helpers/daemon.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('files, modes and certificates', () => {
  it('keeps the user socket 0600 in a 0700 directory', async () => {
    const daemon = await startDaemon({ home: undefined });
    try {
      assert.equal(mode(daemon.socket), 0o600);
      assert.equal(mode(dirname(daemon.socket)) & 0o077, 0, 'no access for group or others');
      assert.equal(mode(daemon.dataDir), 0o700);
    } finally {
      await cleanup(daemon);
    }
  });

  it('refuses a socket group that does not exist, saying how to create it', async () => {
    const home = tempDir();
    try {
      const result = await runCortex(['daemon', '--home', home.path, '--group', 'no-such-group-here']);
      assert.notEqual(result.code, 0);
      assert.match(
        result.stderr,
        /The group no-such-group-here does not exist: create it \(groupadd no-such-group-here\)/,
      );
    } finally {
      home.remove();
    }
  });

  it('writes CA and issued keys 0600 and puts the node name and hosts in node certificates', async () => {
    const home = tempDir();
    try {
      const configDir = homePaths(home.path).configDir;
      const ca = await initCa(configDir);
      assert.equal(mode(ca.key), 0o600);
      await assert.rejects(initCa(configDir), { code: 'EEXIST' });
      const node = await issueToFiles(configDir, {
        commonName: 'devbox',
        kind: 'node',
        hosts: ['devbox.example.com', '10.0.0.7'],
      });
      assert.equal(mode(node.key), 0o600);
      const cert = new X509Certificate(readFileSync(node.cert));
      assert.match(cert.subject, /CN=devbox/);
      assert.match(cert.subjectAltName ?? '', /DNS:devbox.example.com/);
      assert.match(cert.subjectAltName ?? '', /IP Address:10.0.0.7/);
      assert.ok(cert.verify(new X509Certificate(readFileSync(tlsPaths(configDir).caCert)).publicKey));
      const client = await issueToFiles(configDir, { commonName: 'alice', kind: 'client' });
      assert.equal(mode(client.key), 0o600);
      assert.match(new X509Certificate(readFileSync(client.cert)).subject, /CN=alice/);
    } finally {
      home.remove();
    }
  });

  it('the CLI issues certificates too, and refuses a bad name', async () => {
    const home = tempDir();
    try {
      assert.equal((await runCortex(['--home', home.path, 'ca', 'init'])).code, 0);
      const issued = await runCortex(['--home', home.path, 'ca', 'issue', 'client', '--name', 'bob']);
      assert.equal(issued.code, 0, issued.stderr);
      assert.match(issued.stdout, /clients\/bob\.crt/);
      const bad = await runCortex(['--home', home.path, 'ca', 'issue', 'client', '--name', '../evil']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /needs --name with a valid identity/);
    } finally {
      home.remove();
    }
  });
});
