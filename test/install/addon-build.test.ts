import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { tempDir } from '../helpers/daemon.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const RELEASE = join('daemon', 'native', 'build', 'Release');

/**
 * The package's install script (scripts/build-addon.mjs), run on a copy of the
 * package's script and addon sources with the addon npm install built, so that
 * nothing here can touch the checkout's own addon.
 */
describe('the install script that builds the native addon', () => {
  let root: ReturnType<typeof tempDir>;
  const addon = () => join(root.path, RELEASE, 'cortex_native.node');
  const run = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(root.path, 'scripts', 'build-addon.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  beforeEach(() => {
    root = tempDir('cortex-addon-test-');
    for (const dir of ['scripts', RELEASE]) mkdirSync(join(root.path, dir), { recursive: true });
    for (const file of [
      'scripts/build-addon.mjs',
      'daemon/native/binding.gyp',
      'daemon/native/cortex_native.c',
      `${RELEASE}/cortex_native.node`,
      `${RELEASE}/cortex_native.stamp`,
    ]) {
      copyFileSync(join(REPO, file), join(root.path, file));
    }
  });
  afterEach(() => root.remove());

  it('leaves an addon built from the same sources for this Node as it is, building nothing', () => {
    const before = readFileSync(addon());
    // A build would need the compiler, which is not there: only skipping it succeeds.
    const result = run({ CC: '/nonexistent/cc' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(readFileSync(addon()), before);
  });

  it('fails with a sentence naming what is missing, and keeps the working addon, when a rebuild cannot be done', () => {
    const before = readFileSync(addon());
    appendFileSync(join(root.path, 'daemon/native/cortex_native.c'), '\n/* changed */\n');
    const result = run({ CC: '/nonexistent/cc' });
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      'cortex: the native addon (daemon/native) cannot be built: it needs a C compiler (/nonexistent/cc; ' +
        'on Debian, apt-get install build-essential). Without it the daemon cannot tell who calls it on its ' +
        'socket. The addon built before is left as it was.\n',
    );
    assert.deepEqual(readFileSync(addon()), before);
  });

  it('fails loudly when there is no addon and none can be built', () => {
    rmSync(addon());
    const result = run({ PATH: '/nonexistent', CC: 'cc' });
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      'cortex: the native addon (daemon/native) cannot be built: it needs a C compiler (cc; on Debian, apt-get ' +
        'install build-essential). Without it the daemon cannot tell who calls it on its socket.\n',
    );
    assert.equal(existsSync(addon()), false);
  });
});
