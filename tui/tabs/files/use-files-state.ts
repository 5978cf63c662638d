import { useState } from 'react';
import type { FilesFocus } from './keys.js';
import { isWithin } from './tree-model.js';

interface TabState {
  workspace: string | undefined;
  mode: FilesFocus;
  /** Paths that changed on disk since they were last viewed. */
  changed: ReadonlySet<string>;
}

function freshTab(workspace: string | undefined): TabState {
  return { workspace, mode: 'files', changed: new Set() };
}

/** The Files tab's own state for a workspace: its mode and the paths marked changed; another workspace starts over. */
export function useFilesState(workspace: string | undefined) {
  const [stored, setTab] = useState(() => freshTab(workspace));
  const tab = stored.workspace === workspace ? stored : freshTab(workspace);
  if (tab !== stored) setTab(tab);
  return {
    mode: workspace === undefined ? 'files' : tab.mode,
    changed: tab.changed,
    setMode: (mode: FilesFocus) => setTab((current) => ({ ...current, mode })),
    /** Back to the editor once a save went through, if the conflict banner was up. */
    leaveConflict: () => setTab((current) => (current.mode === 'conflict' ? { ...current, mode: 'editor' } : current)),
    /** Marks paths changed on disk (`on`), or clears the marks of those paths and of anything inside them. */
    mark: (paths: readonly string[], on: boolean) =>
      setTab((current) => {
        const changed = new Set(current.changed);
        for (const path of paths) {
          if (on) changed.add(path);
          else for (const held of current.changed) if (isWithin(held, path)) changed.delete(held);
        }
        return { ...current, changed };
      }),
  };
}
