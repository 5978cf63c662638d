import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CORTEX_BIN } from '../helpers/daemon.js';
import { TmuxScreen } from './helpers/tmux.js';
import { tuiSuite } from './helpers/tui-suite.js';

const BUNDLE = fileURLToPath(new URL('../../tui/run.bundle.cjs', import.meta.url));

/**
 * `cortex tui` as it ships, in tmux against a real daemon, with its bundle's
 * code cache (tui/bundle-loader.ts) missing, corrupt, or impossible to write:
 * each time the tree is drawn and `q` quits cleanly.
 */
describe("cortex tui's code cache, end to end", () => {
  const suite = tuiSuite('cortex-tui-cache-', 'project', 'hi');

  /** Starts `cortex tui` with `args`, waits for the tree, quits; the exit code. */
  async function startAndQuit(args: string[]): Promise<number> {
    await suite.screen?.kill();
    suite.screen = await TmuxScreen.start(['env', ...args, 'tui'], { width: 100, height: 30 });
    await suite.screen.waitForScreen((text) => text.includes('● connected') && text.includes('○ fake'), 'the tree');
    await suite.screen.press('q');
    return suite.screen.waitForExit();
  }

  const cacheDir = () => join(suite.daemon.home, 'cache');
  /** The bundle file's inode, size and times of writing and change (ns), as 64-bit little-endian numbers. */
  const bundleStamp = () => {
    const { ino, size, mtimeNs, ctimeNs } = statSync(BUNDLE, { bigint: true });
    const stamp = Buffer.alloc(32);
    [ino, size, mtimeNs, ctimeNs].forEach((value, index) => stamp.writeBigUInt64LE(value, index * 8));
    return stamp;
  };
  const cacheFiles = () => readdirSync(cacheDir()).filter((name) => name.endsWith('.v8cache'));

  it('writes a cache for the bundle under the home, and starts again from a corrupt one, replacing it', async () => {
    const withHome = [process.execPath, CORTEX_BIN, '--home', suite.daemon.home];
    assert.equal(await startAndQuit(withHome), 0);
    const [file, ...others] = cacheFiles();
    assert.ok(file !== undefined && others.length === 0, cacheFiles().join(' '));
    const path = join(cacheDir(), file);
    assert.deepEqual(readFileSync(path).subarray(0, 32), bundleStamp(), "stamped with the bundle file's identity");

    writeFileSync(path, 'not a cache at all');
    assert.equal(await startAndQuit(withHome), 0);
    assert.deepEqual(cacheFiles(), [file]);
    assert.deepEqual(readFileSync(path).subarray(0, 32), bundleStamp(), 'the corrupt file was replaced');
    assert.ok(readFileSync(path).length > 1000, 'by a whole cache');
  });

  it('starts when the cache directory cannot be written', async () => {
    // Without --home the cache goes under XDG_CACHE_HOME, here a file, where no directory can be made.
    const notADirectory = join(suite.work.path, 'xdg-cache');
    writeFileSync(notADirectory, '');
    const args = [`XDG_CACHE_HOME=${notADirectory}`, process.execPath, CORTEX_BIN, '--socket', suite.daemon.socket];
    assert.equal(await startAndQuit(args), 0);
    assert.equal(readFileSync(notADirectory, 'utf8'), '');
  });
});
