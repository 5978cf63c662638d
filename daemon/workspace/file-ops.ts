import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  readSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type {
  FsEntry,
  FsEntryType,
  FsListResult,
  FsReadResult,
  FsStat,
  FsWriteResult,
} from '../../src/protocol/workspace-types.js';
import type { SystemUser } from '../identity/system-user.js';
import type { CallerAccess } from './caller-access.js';
import { confine, type ConfinedPath, isInside } from './confine.js';
import { git } from './git.js';

export interface FileLimits {
  /** fs_read refuses larger files (ETOOBIG). */
  readMaxBytes: number;
}

export const DEFAULT_LIST_PAGE = 5000;

/**
 * fs_list, fs_stat, fs_read, fs_write inside one workspace. Every path goes
 * through `confine` first; reads open the resolved path without following a
 * final symlink and then check where the open file really is, so a symlink
 * swapped in after the check cannot lead outside.
 */
export class FileOps {
  constructor(
    private readonly limits: FileLimits,
    private readonly access: CallerAccess,
  ) {}

  /** One page of one directory; only that page is stat'ed and checked against .gitignore. */
  async list(root: string, path: string, user: SystemUser | undefined, offset = 0, limit = DEFAULT_LIST_PAGE) {
    const target = confine(root, path);
    this.access.check(user, target.real, 'read', target.rel);
    let dirents: Dirent[];
    try {
      dirents = await readdir(target.real, { withFileTypes: true });
    } catch (error) {
      throw fileError(error, target.rel);
    }
    dirents.sort((a, b) => {
      const directories = Number(b.isDirectory()) - Number(a.isDirectory());
      return directories !== 0 ? directories : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
    const page = dirents.slice(offset, offset + limit);
    const childRel = (name: string) => (target.rel === '.' ? name : `${target.rel}/${name}`);
    // The ignore check (one git process) and the lstat calls run at the same time.
    const [ignored, stats] = await Promise.all([
      ignoredPaths(
        root,
        page.map((dirent) => childRel(dirent.name)),
      ),
      Promise.all(
        page.map((dirent) =>
          // Deleted between readdir and lstat: still listed, with what readdir knew.
          lstat(join(target.real, dirent.name)).catch(() => undefined),
        ),
      ),
    ]);
    const entries = page.map((dirent, index): FsEntry => {
      const entry = stats[index];
      return {
        name: dirent.name,
        type: entry ? typeOf(entry) : dirent.isDirectory() ? 'directory' : 'file',
        size: entry?.size ?? 0,
        mtime: Math.floor(entry?.mtimeMs ?? 0),
        ignored: ignored.has(childRel(dirent.name)) || dirent.name === '.git',
      };
    });
    const next = offset + page.length < dirents.length ? offset + page.length : null;
    return { path: target.rel, entries, total: dirents.length, next } satisfies FsListResult;
  }

  async stat(root: string, path: string, user: SystemUser | undefined): Promise<FsStat> {
    const target = confine(root, path);
    this.access.check(user, target.real, 'read', target.rel);
    const named = join(root, target.rel);
    let stats: Stats;
    try {
      stats = lstatSync(named);
    } catch (error) {
      throw fileError(error, target.rel);
    }
    const ignored = await ignoredPaths(root, [target.rel]);
    return {
      path: target.rel,
      type: typeOf(stats),
      size: stats.size,
      mtime: Math.floor(stats.mtimeMs),
      mode: stats.mode & 0o7777,
      ignored: ignored.has(target.rel) || basename(target.rel) === '.git',
      target: stats.isSymbolicLink() ? readlinkSync(named) : null,
    };
  }

  async read(root: string, path: string, user: SystemUser | undefined): Promise<FsReadResult> {
    const target = confine(root, path);
    this.access.check(user, target.real, 'read', target.rel);
    let handle;
    try {
      handle = await open(target.real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      throw fileError(error, target.rel);
    }
    try {
      assertStillInside(root, handle.fd, target);
      const stats = await handle.stat();
      if (stats.isDirectory()) throw new CortexError('EINVAL', `${target.rel} is a directory: list it with fs_list.`);
      if (!stats.isFile()) throw new CortexError('EINVAL', `${target.rel} is not a regular file.`);
      if (stats.size > this.limits.readMaxBytes) {
        throw new CortexError(
          'ETOOBIG',
          `${target.rel} is ${stats.size} bytes, over the fs_read limit of ${this.limits.readMaxBytes} bytes.`,
        );
      }
      const bytes = await handle.readFile();
      const text = decodeText(bytes);
      return {
        path: target.rel,
        size: bytes.length,
        mtime: Math.floor(stats.mtimeMs),
        hash: sha256(bytes),
        binary: text === undefined,
        content: text ?? bytes,
      };
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes a whole file. Without `expectedHash` the file must not exist yet;
   * with it, the file on disk must still have that hash: anything else is a
   * conflict (ECONFLICT), never a silent overwrite. The new content goes to a
   * temporary file in the same directory that is then renamed over the old
   * one, so readers see the old file or the new one, never half of it. The
   * file keeps its mode and owner; a new one belongs to the caller.
   */
  write(
    root: string,
    path: string,
    content: string | Uint8Array,
    expectedHash: string | undefined,
    user: SystemUser | undefined,
  ): FsWriteResult {
    const target = confine(root, path);
    if (target.rel === '.') throw new CortexError('EINVAL', 'The workspace root is a directory, not a file.');
    this.access.check(user, target.real, 'write', target.rel);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const existing = statOrUndefined(target.real);
    if (existing?.isDirectory()) throw new CortexError('EINVAL', `${target.rel} is a directory.`);
    if (existing !== undefined && !existing.isFile()) {
      throw new CortexError('EINVAL', `${target.rel} is not a regular file.`);
    }
    if (existing === undefined && expectedHash !== undefined) {
      throw new CortexError('ECONFLICT', `${target.rel} was deleted since it was read; nothing was written.`);
    }
    if (existing !== undefined && expectedHash === undefined) {
      throw new CortexError(
        'ECONFLICT',
        `${target.rel} already exists: read it and pass its hash as expected_hash to replace it.`,
      );
    }
    if (existing !== undefined) {
      const current = sha256(readWhole(target));
      if (current !== expectedHash) {
        throw new CortexError(
          'ECONFLICT',
          `${target.rel} changed since it was read (its hash is now ${current.slice(0, 12)}...); read it again before writing.`,
          { hash: current },
        );
      }
    } else {
      try {
        makeDirectories(dirname(target.real), user);
      } catch (error) {
        throw fileError(error, target.rel);
      }
    }
    const temporary = join(dirname(target.real), `.${basename(target.real)}.cortex-${randomBytes(4).toString('hex')}`);
    const fd = openSync(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      existing ? existing.mode & 0o7777 : 0o644,
    );
    try {
      assertStillInside(root, fd, target);
      for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
      const owner = existing ?? (user ? { uid: user.uid, gid: user.gid } : undefined);
      if (owner && process.getuid?.() === 0) chownSync(temporary, owner.uid, owner.gid);
      closeSync(fd);
      renameSync(temporary, target.real);
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
      try {
        unlinkSync(temporary);
      } catch {
        // Already renamed or never made.
      }
      throw error instanceof CortexError ? error : fileError(error, target.rel);
    }
    const stats = statSync(target.real);
    return {
      path: target.rel,
      size: bytes.length,
      mtime: Math.floor(stats.mtimeMs),
      hash: sha256(bytes),
      created: existing === undefined,
    };
  }

  /** Throws EACCES unless the caller could write this entry (see CallerAccess). */
  checkWrite(target: ConfinedPath, user: SystemUser | undefined): void {
    this.access.check(user, target.real, 'write', target.rel);
  }

  /** The SHA-256 of a file in the workspace, as fs_read would give it. */
  hashOf(root: string, path: string): string {
    return sha256(readWhole(confine(root, path)));
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of a file, or undefined when it looks binary: a NUL in its first 8000 bytes (git's test) or invalid UTF-8. */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.subarray(0, 8000).includes(0)) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Which of these workspace-relative paths git ignores; none outside a git work tree. */
export async function ignoredPaths(root: string, paths: string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  try {
    const { stdout } = await git(['check-ignore', '-z', '--stdin'], {
      cwd: root,
      input: paths.map((path) => `${path}\0`).join(''),
      okCodes: [1],
    });
    return new Set(stdout.toString('utf8').split('\0').filter(Boolean));
  } catch {
    return new Set();
  }
}

function typeOf(stats: Stats): FsEntryType {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function readWhole(target: ConfinedPath): Buffer {
  const fd = openSync(target.real, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    assertStillInside(target.root, fd, target);
    const size = fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(size);
    let offset = 0;
    while (offset < size) {
      const read = readSync(fd, buffer, offset, size - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

/** Creates the missing directories of a new file's path (inside the workspace: confine said so), owned by the caller. */
function makeDirectories(directory: string, user: SystemUser | undefined): void {
  const missing: string[] = [];
  for (let current = directory; statOrUndefined(current) === undefined; current = dirname(current)) {
    missing.unshift(current);
  }
  for (const path of missing) {
    mkdirSync(path, { mode: 0o755 });
    if (user && process.getuid?.() === 0) chownSync(path, user.uid, user.gid);
  }
}

/** The file behind an open descriptor is where the check said it would be (Linux: /proc/self/fd). */
function assertStillInside(root: string, fd: number, target: ConfinedPath): void {
  let real: string;
  try {
    real = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return;
  }
  if (!isInside(root, real)) throw new CortexError('EACCES', `${target.rel} leads outside the workspace.`);
}

function fileError(error: unknown, shown: string): CortexError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CortexError('ENOTFOUND', `${shown} does not exist in the workspace.`);
  if (code === 'ENOTDIR') return new CortexError('EINVAL', `${shown} is not a directory.`);
  if (code === 'ELOOP') return new CortexError('EACCES', `${shown} is a symlink that changed while it was opened.`);
  if (code === 'EACCES' || code === 'EPERM') return new CortexError('EACCES', `The daemon may not open ${shown}.`);
  if (code === 'ENOSPC') return new CortexError('ENOSPC', `The disk is full: ${shown} was not written.`);
  return new CortexError('EINTERNAL', `${shown}: ${(error as Error).message}`);
}
