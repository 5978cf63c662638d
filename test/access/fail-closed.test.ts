import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { connectUnix } from '../../src/client/client.js';
import { asNobody } from '../helpers/as-nobody.js';
import { runCortex } from '../helpers/cli.js';
import { cleanup, startDaemon, tempDir } from '../helpers/daemon.js';

/**
 * Local identity fails closed. A caller whose kernel identity cannot be read is
 * refused, never promoted; without the addon (which reads it) the daemon serves
 * no socket shared with a group. The two testing aids play those machines:
 * CORTEX_TEST_FAIL_PEERCRED (every SO_PEERCRED fails) and CORTEX_TEST_NO_ADDON
 * (the addon did not build).
 */
describe('local identity fails closed', () => {
  it('refuses every call of a caller whose kernel identity cannot be read, root included', async () => {
    const daemon = await startDaemon({ args: ['--node-name', 'a'], env: { CORTEX_TEST_FAIL_PEERCRED: '1' } });
    try {
      const status = await runCortex(['--home', daemon.home, 'status']);
      assert.equal(status.code, 5);
      assert.equal(
        status.stderr,
        "cortex status: The daemon could not tell who you are (SO_PEERCRED failed: CORTEX_TEST_FAIL_PEERCRED is set (a testing aid)), so it refuses this connection's calls.\n",
      );
      const client = await connectUnix(daemon.socket);
      try {
        for (const [method, params] of [
          ['ping', {}],
          ['create_table', { name: 't', attributes: ['k'] }],
          ['token_create', { name: 'mine' }],
        ] as const) {
          await assert.rejects(client.request(method, params), {
            code: 'EACCES',
            message: /could not tell who you are/,
          });
        }
      } finally {
        client.close();
      }
      assert.match(daemon.stderr(), /warn a local caller is refused: its identity could not be read/);
      assert.equal((await runCortex(['--home', daemon.home, 'tables'])).code, 5);
    } finally {
      await cleanup(daemon);
    }
  });

  it('without the addon, refuses to serve a socket shared with a group, saying why', async () => {
    const home = tempDir('cortex-no-addon-');
    try {
      await assert.rejects(
        startDaemon({ home: home.path, args: ['--group', 'nogroup'], env: { CORTEX_TEST_NO_ADDON: '1' } }),
        /exited with \d+ before listening: .*the socket is to be shared with the group nogroup, but the native addon that tells its members apart is not available \(CORTEX_TEST_NO_ADDON is set \(a testing aid\)\); the daemon refuses to serve a shared socket without it/is,
      );
    } finally {
      home.remove();
    }
  });

  it('without the addon, serves a 0600 socket only, where every caller is the owner (only the owner and root get in)', async () => {
    const daemon = await startDaemon({ args: ['--node-name', 'a'], env: { CORTEX_TEST_NO_ADDON: '1' } });
    try {
      assert.equal(statSync(daemon.socket).mode & 0o777, 0o600);
      assert.match(
        daemon.stderr(),
        /warn the native addon is not available \(CORTEX_TEST_NO_ADDON is set \(a testing aid\)\): callers cannot be told apart, so only a 0600 socket is served and every caller counts as user:root@a/,
      );
      const status = await runCortex(['--home', daemon.home, 'status', '--json']);
      assert.equal((JSON.parse(status.stdout) as { identity: string }).identity, 'user:root@a');
      const nobody = await asNobody(['--socket', daemon.socket, 'status']);
      assert.notEqual(nobody.code, 0);
      assert.match(nobody.stderr, /EACCES|permission denied/i);
    } finally {
      await cleanup(daemon);
    }
  });
});
