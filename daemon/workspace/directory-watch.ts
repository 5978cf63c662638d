import { type FSWatcher as NodeWatcher, statSync, watch as watchNode } from 'node:fs';
import { basename, join } from 'node:path';
import { watch } from 'chokidar';
import type { FsChangeKind } from '../../src/protocol/workspace-types.js';

/** Directory names never watched nor reported: git's internals and dependency trees. */
const IGNORED_NAMES = new Set(['.git', 'node_modules']);

export function isIgnoredName(path: string): boolean {
  return IGNORED_NAMES.has(basename(path));
}

/** One watched directory (not its subdirectories). */
export interface DirectoryWatch {
  /** Resolves once changes in the directory are being reported. */
  readonly ready: Promise<void>;
  /** inotify watches it holds. */
  readonly cost: number;
  close(): Promise<void>;
}

export type ChangeListener = (kind: FsChangeKind, absolutePath: string) => void;

/**
 * Watches one directory, depth 0. chokidar holds an inotify watch for the
 * directory and one for each file in it (it watches files one by one to see
 * writes), so a directory of a few thousand entries costs that many watches.
 * Past `chokidarLimit` entries a plain `fs.watch` of the directory is used
 * instead: one watch, which on Linux still reports writes to the files in it.
 */
export function watchDirectory(
  real: string,
  entries: number,
  chokidarLimit: number,
  onChange: ChangeListener,
): DirectoryWatch {
  if (entries > chokidarLimit) return rawWatch(real, onChange);
  const watcher = watch(real, {
    depth: 0,
    ignoreInitial: true,
    followSymlinks: false,
    ignored: (path) => path !== real && isIgnoredName(path),
  });
  const ready = new Promise<void>((resolve) => {
    watcher.once('ready', () => resolve());
    watcher.once('error', () => resolve());
  });
  watcher.on('all', (kind, path) => {
    if (path !== real && kind !== 'error' && kind !== 'raw' && kind !== 'ready' && kind !== 'all') onChange(kind, path);
  });
  watcher.on('error', () => undefined);
  return { ready, cost: entries + 1, close: () => watcher.close() };
}

function rawWatch(real: string, onChange: ChangeListener): DirectoryWatch {
  let watcher: NodeWatcher | undefined;
  try {
    watcher = watchNode(real, { persistent: true }, (type, name) => {
      if (name === null || isIgnoredName(name)) return;
      const path = join(real, name);
      if (type === 'change') return onChange('change', path);
      let kind: FsChangeKind = 'unlink';
      try {
        kind = statSync(path).isDirectory() ? 'addDir' : 'add';
      } catch {
        // Gone: a deletion, or the first half of a rename.
      }
      onChange(kind, path);
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  return {
    ready: Promise.resolve(),
    cost: 1,
    close: () => {
      watcher?.close();
      return Promise.resolve();
    },
  };
}
