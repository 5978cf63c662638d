import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NOBODY } from '../helpers/as-nobody.js';
import { tempDir } from '../helpers/daemon.js';

const LOADER = new URL('../../tui/bundle-loader.js', import.meta.url).href;

/**
 * Loads `script` in a node of its own, as `cortex tui` loads its bundle, then saves its cache: what
 * became of the cache, and what the script answers. A process of its own because V8 keeps scripts it
 * has compiled, and would compile the same source again from memory rather than from the cache.
 */
function load(script: string, cacheDir: string): { cache: string; greeting: string } {
  const program = [
    `const { loadBundle } = await import(${JSON.stringify(LOADER)});`,
    `const loaded = loadBundle(${JSON.stringify(script)}, ${JSON.stringify(cacheDir)});`,
    'await loaded.saveCache();',
    "process.stdout.write(JSON.stringify({ cache: loaded.cache, greeting: loaded.exports.greet('you') }));",
  ].join('\n');
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
  return JSON.parse(output) as { cache: string; greeting: string };
}

/** A CommonJS script like the TUI's bundle, with a body of its own so that two of them differ. */
function writeScript(path: string, greeting: string): string {
  writeFileSync(path, `exports.greet = (name) => ${JSON.stringify(greeting)} + ', ' + name;\n`);
  return path;
}

/** Which bundle a cache file (or its contents) says it was made from: its first 32 bytes. */
function stamp(cache: string | Buffer): Buffer {
  return (typeof cache === 'string' ? readFileSync(cache) : cache).subarray(0, 32);
}

/** The one cache file in `dir`. */
function cacheFile(dir: string): string {
  const files = readdirSync(dir);
  assert.equal(files.length, 1, files.join(' '));
  return join(dir, files[0]!);
}

describe("the TUI bundle's code cache", () => {
  const work = tempDir('cortex-code-cache-');
  after(() => work.remove());

  it('is made on the first load, taken by the next, and the script runs either way', () => {
    const cacheDir = join(work.path, 'taken');
    const script = writeScript(join(work.path, 'taken.cjs'), 'hello');
    assert.deepEqual(load(script, cacheDir), { cache: 'absent', greeting: 'hello, you' });
    const written = readFileSync(cacheFile(cacheDir));
    assert.deepEqual(load(script, cacheDir), { cache: 'taken', greeting: 'hello, you' });
    assert.deepEqual(readFileSync(cacheFile(cacheDir)), written, 'a cache taken is not written again');
  });

  it('ignores a corrupt cache file and replaces it', () => {
    const cacheDir = join(work.path, 'corrupt');
    const script = writeScript(join(work.path, 'corrupt.cjs'), 'hi');
    load(script, cacheDir);
    const file = cacheFile(cacheDir);
    const good = readFileSync(file);
    const corrupted = [
      // This bundle's stamp, then bytes V8 cannot read.
      { bytes: Buffer.concat([good.subarray(0, 32), Buffer.alloc(good.length - 32, 0x5a)]), cache: 'refused' },
      // Garbage from the first byte.
      { bytes: Buffer.from('not a cache'), cache: 'absent' },
    ];
    for (const { bytes, cache } of corrupted) {
      writeFileSync(file, bytes);
      assert.deepEqual(load(script, cacheDir), { cache, greeting: 'hi, you' });
      assert.deepEqual(stamp(file), stamp(good), 'replaced by a cache of this bundle');
      assert.equal(load(script, cacheDir).cache, 'taken');
    }
  });

  it("does not use another bundle's cache put under this bundle's name", () => {
    const cacheDir = join(work.path, 'foreign');
    const ours = writeScript(join(work.path, 'ours.cjs'), 'ours');
    load(ours, cacheDir);
    const ourFile = cacheFile(cacheDir);
    const ourCache = readFileSync(ourFile);
    const otherDir = join(work.path, 'foreign-other');
    load(writeScript(join(work.path, 'theirs.cjs'), 'theirs'), otherDir);
    copyFileSync(cacheFile(otherDir), ourFile);

    assert.deepEqual(load(ours, cacheDir), { cache: 'absent', greeting: 'ours, you' });
    assert.deepEqual(stamp(ourFile), stamp(ourCache), 'rewritten for ours');
    assert.equal(load(ours, cacheDir).cache, 'taken');
  });

  it('does not run the cache of a bundle since rewritten in place with as many bytes', () => {
    // V8 checks only the source's length: run from this cache, the new script would answer "first".
    const cacheDir = join(work.path, 'rewritten');
    const script = writeScript(join(work.path, 'rewritten.cjs'), 'first');
    load(script, cacheDir);
    assert.equal(load(script, cacheDir).cache, 'taken');
    writeScript(script, 'again');
    assert.deepEqual(load(script, cacheDir), { cache: 'absent', greeting: 'again, you' });
    assert.equal(load(script, cacheDir).cache, 'taken');
  });

  it('loads and runs the script when the cache directory cannot be made', () => {
    const notADirectory = join(work.path, 'a-file');
    writeFileSync(notADirectory, '');
    const script = writeScript(join(work.path, 'unwritable.cjs'), 'still');
    assert.deepEqual(load(script, join(notADirectory, 'cache')), { cache: 'absent', greeting: 'still, you' });
    assert.equal(readFileSync(notADirectory, 'utf8'), '');
  });

  it('takes no cache another user wrote or could write: theirs, group- or world-writable, or in such a directory', () => {
    const cacheDir = join(work.path, 'planted');
    const script = writeScript(join(work.path, 'planted.cjs'), 'safe');
    load(script, cacheDir);
    const file = cacheFile(cacheDir);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'written for its user only');
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    const plants: [string, () => void, () => void][] = [
      ['owned by nobody', () => chownSync(file, NOBODY, NOBODY), () => chownSync(file, 0, 0)],
      ['group-writable', () => chmodSync(file, 0o620), () => chmodSync(file, 0o600)],
      ['world-writable', () => chmodSync(file, 0o606), () => chmodSync(file, 0o600)],
      ['in a directory others may write', () => chmodSync(cacheDir, 0o777), () => chmodSync(cacheDir, 0o700)],
    ];
    for (const [how, plant, undo] of plants) {
      plant();
      assert.deepEqual(load(script, cacheDir), { cache: 'absent', greeting: 'safe, you' }, how);
      undo();
      assert.equal(load(script, cacheDir).cache, 'taken', `${how}: once it is its own again`);
    }
  });
});
