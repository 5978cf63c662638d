import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';

/** A path a client named, checked against its workspace. */
export interface ConfinedPath {
  /** The workspace's real directory. */
  root: string;
  /** As the client should see it: relative, normalised, `.` for the root. */
  rel: string;
  /** Where it really is, symlinks resolved (the parts that exist). Always inside `root`. */
  real: string;
}

/**
 * Confines a client's path to its workspace. Refused with EACCES: absolute
 * paths, paths that climb out with `..`, and paths whose symlinks (anywhere
 * along them, dangling ones included) lead outside. The check is on the real
 * path, so it holds however the symlinks are nested.
 */
export function confine(root: string, path: string): ConfinedPath {
  const rel = relativePath(path);
  const real = realPath(join(root, rel));
  if (!isInside(root, real)) {
    throw new CortexError('EACCES', `${path} leads outside the workspace (through a symlink).`);
  }
  return { root, rel, real };
}

/** The lexical half of the check: a relative path that stays below its root, normalised (`.` for the root). */
export function relativePath(path: string): string {
  if (path.includes('\0')) throw new CortexError('EINVAL', 'A path may not contain a NUL byte.');
  if (isAbsolute(path)) {
    throw new CortexError('EACCES', `${path} is an absolute path: give paths relative to the workspace.`);
  }
  const rel = posix.normalize(path.split(sep).join('/')).replace(/\/+$/, '') || '.';
  if (rel === '..' || rel.startsWith('../')) {
    throw new CortexError('EACCES', `${path} leads outside the workspace.`);
  }
  return rel;
}

export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The workspace-relative form of a real path inside it. */
export function relativeTo(root: string, real: string): string {
  return relative(root, real).split(sep).join('/') || '.';
}

/**
 * realpath for paths that may not exist yet: the existing part is resolved by
 * the kernel, a dangling symlink is followed by hand, and the missing rest is
 * appended. Loops end in ELOOP like the kernel's.
 */
export function realPath(path: string, depth = 0): string {
  if (depth > 40) throw new CortexError('EINVAL', `Too many levels of symbolic links at ${path}.`);
  try {
    return realpathSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    // Missing: resolve the parent and keep the name.
  }
  if (isLink) return realPath(resolve(dirname(path), readlinkSync(path)), depth + 1);
  const parent = dirname(path);
  if (parent === path) return path;
  return join(realPath(parent, depth + 1), basename(path));
}
