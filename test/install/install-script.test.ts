import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/daemon.js';

const SCRIPT = fileURLToPath(new URL('../../../install.sh', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../bin/cortex.js', import.meta.url));
const CHECKOUT = realpathSync(fileURLToPath(new URL('../../../', import.meta.url)));

function install(args: string[], env: Record<string, string>) {
  return spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('install.sh', () => {
  it('installs for a user: the cortex link and a systemd user unit running the daemon', () => {
    const root = tempDir('cortex-install-');
    try {
      const result = install(['--user', '--no-start'], { CORTEX_INSTALL_ROOT: root.path, HOME: '/home/someone' });
      assert.equal(result.status, 0, result.stderr);
      const link = join(root.path, '/home/someone/.local/bin/cortex');
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.equal(readlinkSync(link), ENTRY);
      const unit = readFileSync(join(root.path, '/home/someone/.config/systemd/user/cortexd.service'), 'utf8');
      assert.match(unit, new RegExp(`ExecStart=\\S+node \\S*${ENTRY.replace(/[.]/g, '\\.')} daemon\n`));
      assert.match(unit, /WantedBy=default\.target/);
    } finally {
      root.remove();
    }
  });

  it('installs system-wide a copy owned by root, not a link into the checkout, that runs by itself; --uninstall removes it', async () => {
    const root = tempDir('cortex-install-');
    let daemon: ReturnType<typeof spawn> | undefined;
    try {
      const result = install(['--system', '--no-start'], { CORTEX_INSTALL_ROOT: root.path });
      assert.equal(result.status, 0, result.stderr);
      const lib = join(root.path, 'usr/local/lib/cortex');
      assert.equal(readlinkSync(join(root.path, 'usr/local/bin/cortex')), '/usr/local/lib/cortex/dist/bin/cortex.js');
      // Whoever can write the checkout cannot change what root runs: every file is a copy of root's.
      for (const path of [
        'dist/bin/cortex.js',
        'dist/daemon/daemon.js',
        'daemon/native/build/Release/cortex_native.node',
      ]) {
        const copy = lstatSync(join(lib, path));
        assert.ok(copy.isFile(), path);
        assert.notEqual(copy.ino, lstatSync(join(CHECKOUT, path)).ino, `${path} is a copy`);
        assert.deepEqual(
          [copy.uid, copy.gid, copy.mode & 0o022],
          [0, 0, 0],
          `${path} is root's and only root writes it`,
        );
      }
      assert.ok(existsSync(join(lib, 'node_modules/better-sqlite3')), 'production dependencies are copied');
      assert.ok(!existsSync(join(lib, 'node_modules/typescript')), 'development ones are not');
      assert.ok(!existsSync(join(lib, 'dist/test')), 'nor the tests');

      const unit = readFileSync(join(root.path, 'etc/systemd/system/cortexd.service'), 'utf8');
      assert.match(unit, /^ExecStart=\S+node \/usr\/local\/lib\/cortex\/dist\/bin\/cortex\.js daemon --system$/m);
      for (const line of [
        'RuntimeDirectory=cortex',
        'NoNewPrivileges=yes',
        'ProtectSystem=full',
        'ReadWritePaths=/etc/cortex /var/lib/cortex',
        'PrivateTmp=yes',
        'RestrictSUIDSGID=yes',
        'CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_KILL',
      ]) {
        assert.ok(unit.split('\n').includes(line), line);
      }
      assert.equal(lstatSync(join(root.path, 'var/lib/cortex')).mode & 0o777, 0o700);

      // The copy runs on its own: its daemon starts and answers its CLI.
      const home = join(root.path, 'home');
      const installed = join(lib, 'dist/bin/cortex.js');
      daemon = spawn(process.execPath, [installed, 'daemon', '--home', home, '--node-name', 'copy'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      await new Promise<void>((resolve, reject) => {
        daemon!.stderr!.setEncoding('utf8').on('data', (text: string) => {
          log += text;
          if (log.includes('listening on')) resolve();
        });
        daemon!.once('exit', () => reject(new Error(`the installed daemon exited: ${log}`)));
      });
      const status = spawnSync(process.execPath, [installed, '--home', home, 'status', '--json'], { encoding: 'utf8' });
      assert.equal(status.status, 0, status.stderr);
      assert.equal((JSON.parse(status.stdout) as { identity: string }).identity, 'user:root@copy');
      daemon.kill('SIGTERM');
      await new Promise((resolve) => daemon!.once('exit', resolve));
      daemon = undefined;

      writeFileSync(join(root.path, 'var/lib/cortex/cortex.db'), 'data');
      const removed = install(['--system', '--uninstall'], { CORTEX_INSTALL_ROOT: root.path });
      assert.equal(removed.status, 0, removed.stderr);
      for (const path of [
        'usr/local/lib/cortex',
        'usr/local/bin/cortex',
        'etc/systemd/system/cortexd.service',
        'etc/cortex',
      ]) {
        assert.ok(!existsSync(join(root.path, path)), `${path} is gone`);
      }
      assert.deepEqual(readdirSync(join(root.path, 'var/lib/cortex')), ['cortex.db'], 'data is kept');
      assert.match(removed.stdout, /kept \S+\/var\/lib\/cortex \(it holds data or configuration/);
    } finally {
      daemon?.kill('SIGKILL');
      root.remove();
    }
  });

  it('says what it would do with --dry-run, and refuses a missing mode or an unknown option', () => {
    const dry = install(['--user', '--dry-run'], { HOME: '/home/someone' });
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /\+ ln -sf \S+ \/home\/someone\/\.local\/bin\/cortex/);
    assert.match(dry.stdout, /\+ write \/home\/someone\/\.config\/systemd\/user\/cortexd\.service/);
    const system = install(['--system', '--dry-run'], {});
    assert.equal(system.status, 0, system.stderr);
    assert.match(system.stdout, /^\+ cp -R \S+\/dist\/bin /m);
    assert.match(system.stdout, /^\+ chown -R 0:0 \/usr\/local\/lib\/cortex\.new$/m);
    assert.match(system.stdout, /^\+ write \/etc\/systemd\/system\/cortexd\.service:$/m);
    assert.match(system.stdout, /^ {4}NoNewPrivileges=yes$/m);
    assert.doesNotMatch(
      system.stdout,
      /ln -sf \S*\/dist\/bin\/cortex\.js \/usr\/local\/bin/,
      'no link into the checkout',
    );
    const uninstall = install(['--system', '--uninstall', '--dry-run'], {});
    assert.equal(uninstall.status, 0, uninstall.stderr);
    assert.match(uninstall.stdout, /^\+ rm -rf \/usr\/local\/lib\/cortex$/m);
    const none = install([], {});
    assert.equal(none.status, 2);
    assert.match(none.stderr, /say --user or --system/);
    const bad = install(['--usr'], {});
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option --usr/);
  });
});
