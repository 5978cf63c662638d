import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { homePaths, SYSTEM_PATHS } from '../../src/paths.js';
import { runCortex } from '../helpers/cli.js';
import { CORTEX_BIN, cleanup, startDaemon, tempDir } from '../helpers/daemon.js';
import { TmuxScreen } from '../tui/helpers/tmux.js';

/** Stops the daemon a client started on `home`, and waits until it has gone. */
async function stopStarted(home: string): Promise<void> {
  if (existsSync(homePaths(home).socket)) await runCortex(['--home', home, 'stop']);
}

/** Pids of processes whose command line mentions `text` (a unique temporary path). */
function processesWith(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('starting a daemon on demand does what the operator set up', () => {
  it('an auto-started daemon uses the node name saved with the data, and a different one is refused', async () => {
    const daemon = await startDaemon({ args: ['--node-name', 'alpha'] });
    try {
      assert.equal(await daemon.stop(), 0);
      const status = await runCortex(['--home', daemon.home, 'status', '--json']);
      assert.equal(status.code, 0, status.stderr);
      assert.equal((JSON.parse(status.stdout) as { node: string }).node, 'alpha');
      await stopStarted(daemon.home);
      const renamed = await startDaemon({ home: daemon.home, args: ['--node-name', 'beta'] }).then(
        () => 'started',
        (error: Error) => error.message,
      );
      assert.match(
        renamed,
        new RegExp(
          `The data in ${daemon.dataDir} belongs to node alpha, not beta \\(--node-name\\): start without a node name, or give this node its own data directory \\(--home\\)\\.`,
        ),
      );
    } finally {
      await cleanup(daemon);
    }
  });

  it('an auto-started daemon reads config.json as a hand-started one does', async () => {
    const home = tempDir('cortex-auto-config-');
    try {
      mkdirSync(homePaths(home.path).configDir, { recursive: true });
      writeFileSync(join(homePaths(home.path).configDir, 'config.json'), '{"node_name": "configured"}');
      const status = await runCortex(['--home', home.path, 'status', '--json']);
      assert.equal(status.code, 0, status.stderr);
      assert.equal((JSON.parse(status.stdout) as { node: string }).node, 'configured');
      await stopStarted(home.path);
    } finally {
      home.remove();
    }
  });

  it('a daemon that cannot start says why, at once, and is not left running (--home /proc/nope)', async () => {
    const home = `/proc/nope-${process.pid}-${Date.now()}`;
    try {
      const started = Date.now();
      const result = await runCortex(['--home', home, 'status', '--timeout', '20s']);
      assert.equal(result.code, 7);
      assert.equal(
        result.stderr,
        `cortex status: Could not start a daemon: cortex daemon: Cannot create the directory ${home} (ENOENT).\n`,
      );
      assert.ok(Date.now() - started < 15_000, 'it did not wait for the deadline');
      assert.deepEqual(processesWith(home), [], 'no daemon left spinning');
    } finally {
      for (const pid of processesWith(home)) process.kill(pid, 'SIGKILL');
    }
  });

  it('never starts a system-mode daemon: root without --home is told what to do', async () => {
    assert.equal(process.getuid?.(), 0, 'the suite runs as root');
    const hadSystemSocket = existsSync(SYSTEM_PATHS.socket);
    assert.equal(hadSystemSocket, false, 'this machine runs no system daemon');
    const home = tempDir('cortex-root-home-');
    try {
      const result = await runCortex(['status'], { env: { HOME: home.path } });
      assert.equal(result.code, 7);
      assert.match(
        result.stderr,
        /^cortex status: No daemon answers on \/run\/cortex\/cortex\.sock \(ENOENT\)\. A system daemon is never started on demand: start its systemd unit \(sudo \.\/install\.sh --system installs one\) or run cortex daemon --system, or use --home DIR for a daemon of your own\.\n$/,
      );
      assert.equal(existsSync(SYSTEM_PATHS.socket), false);
    } finally {
      home.remove();
    }
  });

  it('the ssh bridge starts none on a reconnect (--no-start), and says so', async () => {
    const home = tempDir('cortex-bridge-');
    try {
      const result = await runCortex(['--home', home.path, 'bridge', '--no-start']);
      assert.equal(result.code, 7);
      assert.match(result.stderr, /Not starting one on a reconnect: waiting for it to come back\.\n$/);
      assert.equal(existsSync(homePaths(home.path).socket), false);
    } finally {
      home.remove();
    }
  });

  for (const through of ['the socket', 'ssh']) {
    it(`the TUI starts none on a reconnect through ${through}: it waits, says so, and reconnects when a daemon is back`, async () => {
      const daemon = await startDaemon();
      let screen: TmuxScreen | undefined;
      const command = [process.execPath, CORTEX_BIN, '--home', daemon.home, 'tui'];
      const env: string[] = [];
      if (through === 'ssh') {
        // Stand-in for ssh: drops `--`, the host and `cortex`, and runs the bridge on this machine.
        const fakeSsh = join(daemon.home, 'fake-ssh');
        writeFileSync(
          fakeSsh,
          `#!/bin/sh\nshift 3\nexec "${process.execPath}" "${CORTEX_BIN}" --home "${daemon.home}" "$@"\n`,
        );
        chmodSync(fakeSsh, 0o755);
        command.splice(2, 2, '--ssh', 'devbox');
        env.push(`CORTEX_SSH=${fakeSsh}`);
      }
      try {
        screen = await TmuxScreen.start(['env', ...env, ...command], {
          // Wide enough for the status bar to show the whole reason it waits.
          width: 250,
          height: 30,
        });
        await screen.waitForScreen((text) => text.includes('● connected'), 'the TUI connected');
        // Stopped by a plain SIGTERM, which leaves no note: only the reconnect rule keeps a daemon from starting.
        assert.equal(await daemon.stop(), 0);
        await screen.waitForScreen(
          (text) => /reconnecting in \d+s \(.*No daemon answers on .*Not starting one on a reconnect/.test(text),
          'the TUI waiting, saying it starts no daemon',
        );
        assert.equal(existsSync(daemon.socket), false, 'no daemon was started');
        const back = await startDaemon({ home: daemon.home });
        try {
          await screen.waitForScreen((text) => text.includes('● connected'), 'the TUI connected again', 30_000);
        } finally {
          await screen.kill();
          screen = undefined;
          await back.kill();
        }
      } finally {
        await screen?.kill();
        await cleanup(daemon);
        rmSync(daemon.home, { recursive: true, force: true });
      }
    });
  }
});
