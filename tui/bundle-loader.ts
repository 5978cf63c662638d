import { type BigIntStats, closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { cachedDataVersionTag } from 'node:v8';
import type { Env } from '../src/paths.js';

/**
 * Loads the TUI's bundle (a CommonJS script, scripts/bundle-tui.mjs) through
 * vm.Script with a V8 code cache, so that V8 neither parses the 1.5 MB nor
 * compiles again the functions the first frame ran last time. Node 20 gives an
 * ES module no cached data, hence a script; Node ≥ 22's
 * module.enableCompileCache() would, but only from the first frame onwards the
 * cache carries the functions compiled lazily, and only this way on all three.
 */
export interface LoadedBundle<T> {
  exports: T;
  /** What became of the cache: none for this bundle and V8, or one V8 took, or one it refused (corrupt). */
  cache: 'absent' | 'taken' | 'refused';
  /**
   * Writes the cache in the background when there was none or V8 refused it;
   * resolves when it is written or could not be (an unwritable directory is
   * no error: the next start compiles as this one did).
   * Called after the first frame: createCachedData() then includes every
   * function compiled so far, not only the top level. V8 refuses a cache made
   * under other flags than the start that reads it: `withFlagsOfLoading` puts
   * back those the bundle was loaded with while the cache is made.
   */
  saveCache: (withFlagsOfLoading?: (make: () => Buffer) => Buffer) => Promise<void>;
}

/** The start of a cache file: which bundle file it was made from (V8 itself checks only the source's length). */
const STAMP_BYTES = 32;

/**
 * `--home DIR` or CORTEX_HOME keeps the cache beside that daemon's data, so a
 * temporary home takes its cache with it; otherwise the XDG cache directory.
 */
export function tuiCacheDir(home: string | undefined, env: Env): string {
  if (home !== undefined && home !== '') return join(home, 'cache');
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'cortex');
}

export function loadBundle<T>(path: string, cacheDir: string): LoadedBundle<T> {
  // The bundle is ASCII (esbuild escapes everything else; scripts/bundle-tui.mjs checks): read as
  // latin1, its bytes are copied into a one-byte string rather than scanned as UTF-8.
  const fd = openSync(path, 'r');
  let source: string;
  let stamp: Buffer;
  try {
    stamp = fileStamp(fstatSync(fd, { bigint: true }));
    source = readFileSync(fd, 'latin1');
  } finally {
    closeSync(fd);
  }
  // The tag changes with V8's version and the flags that affect code, which a cache is only good for.
  const file = join(cacheDir, `tui-${stamp.subarray(0, 16).toString('hex')}-${cachedDataVersionTag()}.v8cache`);
  const cachedData = readCache(file, stamp);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: path,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const module = { exports: {} as T };
  const wrapper: unknown = script.runInThisContext();
  if (typeof wrapper !== 'function') throw new Error('The TUI bundle did not compile to a function.');
  wrapper.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  const cache = cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'refused' : 'taken';
  return {
    exports: module.exports,
    cache,
    saveCache: async (withFlagsOfLoading = (make) => make()) => {
      if (cache === 'taken') return;
      // After the frame has gone out: the cache is made in a turn of its own.
      await new Promise((resolve) => setImmediate(resolve));
      const data = withFlagsOfLoading(() => script.createCachedData());
      await writeCache(file, Buffer.concat([stamp, data])).catch(() => undefined);
    },
  };
}

/**
 * The cache for this bundle, or nothing when it is missing, unreadable, from
 * another bundle, or one that someone else could have written: V8 runs the
 * bytecode a cache holds without checking it against the source (only the
 * source's length), so a cache planted by another user would run as whoever
 * starts the TUI (root's TUI on a group-writable home, say).
 */
function readCache(file: string, stamp: Buffer): Buffer | undefined {
  let fd: number | undefined;
  try {
    if (!onlyMine(statSync(dirname(file)))) return undefined;
    fd = openSync(file, 'r');
    const stat = fstatSync(fd);
    if (!onlyMine(stat)) return undefined;
    const data = Buffer.alloc(stat.size);
    readSync(fd, data, 0, stat.size, 0);
    return data.subarray(0, STAMP_BYTES).equals(stamp) ? data.subarray(STAMP_BYTES) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Which bundle file this is, in 32 bytes: its inode, size, and the times it
 * was last written and last changed in any way, to the nanosecond. Any write
 * to the file, or another file put in its place, changes them. Not a hash of
 * its contents: hashing the 1.5 MB took ~10 ms of CPU at every start, most of
 * it loading node:crypto, which nothing else in the TUI needs.
 */
export function fileStamp(stat: BigIntStats): Buffer {
  const stamp = Buffer.alloc(STAMP_BYTES);
  [stat.ino, stat.size, stat.mtimeNs, stat.ctimeNs].forEach((value, index) =>
    stamp.writeBigUInt64LE(BigInt.asUintN(64, value), index * 8),
  );
  return stamp;
}

/** Owned by this process's user and writable by no one else (where there are uids). */
function onlyMine(stat: { uid: number; mode: number }): boolean {
  const uid = process.getuid?.();
  return uid === undefined || (stat.uid === uid && (stat.mode & 0o022) === 0);
}

/** Written whole then renamed, so a TUI starting meanwhile never reads half a cache. */
async function writeCache(file: string, contents: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}`;
  await writeFile(partial, contents, { mode: 0o600 });
  await rename(partial, file);
}
