import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { stoppedMarker } from '../../src/paths.js';
import { asNobody } from '../helpers/as-nobody.js';
import { runCortex } from '../helpers/cli.js';
import { cleanup, startDaemon } from '../helpers/daemon.js';

describe('cortex stop', () => {
  it('stops the daemon as SIGTERM does, waits for it to exit, and no client starts another after it', async () => {
    const daemon = await startDaemon({ args: ['--node-name', 'stopper'] });
    try {
      assert.equal((await runCortex(['--home', daemon.home, 'create_table', 'kept', 'k'])).code, 0);
      assert.equal((await runCortex(['--home', daemon.home, 'put', 'kept', '{"k":"a"}'])).code, 0);
      const stopped = await runCortex(['--home', daemon.home, 'stop']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(stopped.stdout, `stopped stopper (pid ${daemon.process.pid})\n`);
      // Exited before `cortex stop` returned, cleanly: the same path as SIGTERM.
      assert.notEqual(daemon.process.exitCode ?? daemon.process.signalCode, null);
      assert.equal(await daemon.exited, 0);
      assert.match(daemon.stderr(), /user:root@stopper asked the daemon to stop \(cortex stop\)[\s\S]*cortexd stopped/);
      assert.equal(existsSync(daemon.socket), false);
      assert.match(
        readFileSync(stoppedMarker(daemon.dataDir), 'utf8'),
        /^stopped by cortex stop \(user:root@stopper\) at \d{4}-/,
      );

      const refused = await runCortex(['--home', daemon.home, 'get', 'kept', 'a']);
      assert.equal(refused.code, 7);
      assert.match(
        refused.stderr,
        /^cortex get: No daemon answers on .*\. Not starting one: the last daemon there was stopped by cortex stop \(user:root@stopper\) at [^;]+; start it again with cortex daemon or its unit\.\n$/,
      );
      assert.equal(existsSync(daemon.socket), false, 'no daemon was started');

      const again = await startDaemon({ home: daemon.home });
      try {
        assert.equal(existsSync(stoppedMarker(daemon.dataDir)), false, 'a daemon started by hand clears the note');
        assert.equal((await runCortex(['--home', daemon.home, 'get', 'kept', 'a'])).stdout, '{"k":"a"}\n');
        const twice = await runCortex(['--home', daemon.home, 'stop']);
        assert.equal(twice.code, 0);
        const nothing = await runCortex(['--home', daemon.home, 'stop']);
        assert.equal(nothing.code, 0);
        assert.match(nothing.stderr, /^No daemon answers on .*\. Nothing to stop\.\n$/);
      } finally {
        await again.kill();
      }
    } finally {
      await cleanup(daemon);
    }
  });

  it('is for administrators: another user of a group socket is refused, and the daemon runs on', async () => {
    const daemon = await startDaemon({ args: ['--group', 'nogroup'] });
    try {
      const result = await asNobody(['--home', daemon.home, 'stop']);
      assert.equal(result.code, 5, result.stderr);
      assert.match(
        result.stderr,
        /^cortex stop: user:nobody@\S+ may not stop the daemon: only administrators \(the daemon's owner and root\) may\.\n$/,
      );
      assert.equal((await runCortex(['--home', daemon.home, 'ping'])).code, 0, 'still running');
    } finally {
      await cleanup(daemon);
    }
  });

  it('is what a unit stop is: SIGTERM under systemd leaves the same note, a plain SIGTERM does not', async () => {
    const unit = await startDaemon({ env: { INVOCATION_ID: 'a0b1c2d3' } });
    try {
      assert.equal(await unit.stop(), 0);
      assert.match(readFileSync(stoppedMarker(unit.dataDir), 'utf8'), /^stopped by its unit \(SIGTERM\) at /);
    } finally {
      await cleanup(unit);
    }
    const plain = await startDaemon();
    try {
      assert.equal(await plain.stop(), 0);
      assert.equal(existsSync(stoppedMarker(plain.dataDir)), false);
    } finally {
      await cleanup(plain);
    }
  });
});
