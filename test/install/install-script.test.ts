import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/daemon.js';

const SCRIPT = fileURLToPath(new URL('../../../install.sh', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../bin/cortex.cjs', import.meta.url));

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
      const unit = readFileSync(join(root.path, '/home/someone/.config/systemd/user/cortex.service'), 'utf8');
      assert.match(unit, new RegExp(`ExecStart=\\S+node \\S*${ENTRY.replace(/[.]/g, '\\.')} daemon\n`));
      assert.match(unit, /WantedBy=default\.target/);
    } finally {
      root.remove();
    }
  });

  it('installs system-wide: a unit running `cortex daemon --system`, the data directory 0700', () => {
    const root = tempDir('cortex-install-');
    try {
      const result = install(['--system', '--no-start'], { CORTEX_INSTALL_ROOT: root.path });
      assert.equal(result.status, 0, result.stderr);
      const unit = readFileSync(join(root.path, 'etc/systemd/system/cortex.service'), 'utf8');
      assert.match(unit, / daemon --system\n/);
      assert.match(unit, /RuntimeDirectory=cortex/);
      assert.equal(lstatSync(join(root.path, 'var/lib/cortex')).mode & 0o777, 0o700);
      assert.equal(readlinkSync(join(root.path, 'usr/local/bin/cortex')), ENTRY);
    } finally {
      root.remove();
    }
  });

  it('says what it would do with --dry-run, and refuses a missing mode or an unknown option', () => {
    const dry = install(['--user', '--dry-run'], { HOME: '/home/someone' });
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /\+ ln -sf \S+ \/home\/someone\/\.local\/bin\/cortex/);
    assert.match(dry.stdout, /\+ write \/home\/someone\/\.config\/systemd\/user\/cortex\.service/);
    const none = install([], {});
    assert.equal(none.status, 2);
    assert.match(none.stderr, /say --user or --system/);
    const bad = install(['--usr'], {});
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option --usr/);
  });
});
