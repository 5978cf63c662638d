import type { FsChange } from '../../../src/protocol/workspace-types.js';
import { parentPath } from './tree-model.js';
import type { Documents } from './use-documents.js';
import type { FileTree } from './use-file-tree.js';

export type Mark = (paths: readonly string[], on: boolean) => void;

export interface ChangeTargets {
  tree: FileTree;
  docs: Documents;
  mark: Mark;
  /** The file on screen, whose changes count as seen. */
  open: string | undefined;
}

/** A batch of changes on disk: the tree lists affected folders again, open files are read again, the rest marked. */
export function onDiskChanges(changes: readonly FsChange[], { tree, docs, mark, open }: ChangeTargets): void {
  const relist = new Set<string>();
  for (const { path, kind } of changes) {
    if (kind !== 'change') relist.add(parentPath(path));
    if (kind === 'unlinkDir') {
      tree.forget(path);
      mark([path], false);
    } else if (docs.has(path)) {
      recheck(docs, path, path === open, mark, kind === 'unlink');
    } else if (kind === 'unlink') {
      mark([path], false);
    } else {
      mark([path], true);
    }
  }
  const loaded = [...relist].filter((dir) => tree.isLoaded(dir));
  if (loaded.length > 0) tree.refresh(loaded);
}

/** Reads a held file again and marks it if it really changed, unless it is the one on screen. */
export function recheck(docs: Documents, path: string, onScreen: boolean, mark: Mark, deleted = false): void {
  void docs.diskChanged(path, deleted).then((changed) => {
    if (changed && !onScreen) mark([path], true);
  });
}
