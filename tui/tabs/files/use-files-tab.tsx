import type { TabContext, TabController } from '../tab.js';
import { isModified, type View, viewOf } from './document.js';
import { onDiskChanges, recheck } from './disk-changes.js';
import { messageOf, statusOf } from './doc-status.js';
import { FileListPane } from './FileListPane.js';
import { BY_MODE, type FilesDeps, typeInto } from './files-actions.js';
import { FileViewPane } from './FileViewPane.js';
import type { FilesAction, FilesFocus } from './keys.js';
import { type Documents, type SaveOutcome, useDocuments } from './use-documents.js';
import { type FileTree, useFileTree } from './use-file-tree.js';
import { useFilesState } from './use-files-state.js';
import { useFsChanges } from './use-fs-changes.js';
import { docLines, treeLines } from './view-lines.js';

const HINTS: Record<FilesFocus, string> = {
  files: 'j/k move · Enter open · ←/→ fold · e edit · Tab tree · ? help',
  viewer: 'j/k scroll · ←/→ sideways · g/G ends · e edit · Esc list',
  editor: 'Ctrl-S save · Esc stop editing · arrows move',
  conflict: 'o overwrite with yours · r reload theirs · Esc keep editing',
};

/** The Files tab's controller, and what the app may want to know before quitting. */
export interface FilesTab extends TabController<FilesAction> {
  /** Files with edits not saved yet (they live only in this process). */
  unsaved: readonly string[];
}

/**
 * The Files tab: the selected workspace's tree, listed lazily; a viewer with
 * line numbers; a light editor that saves against the hash it loaded, so a
 * file changed on disk meanwhile is a conflict to settle, never overwritten
 * unseen. While shown, it listens to the workspace's file changes and marks
 * them.
 */
export function useFilesTab(context: TabContext): FilesTab {
  const { client, generation, active, width, height, notify } = context;
  const workspace = context.selection.workspace;
  const tree = useFileTree(client, workspace?.id, context.selection.node, active, height - 1);
  const docs = useDocuments(client, workspace?.id, context.selection.node);
  const { mode, changed, setMode, leaveConflict, mark } = useFilesState(workspace?.id);
  const doc = docs.doc;
  const view: View = doc
    ? viewOf(doc, width, height)
    : { rows: Math.max(1, height - 2), columns: Math.max(1, width - 4) };
  const viewing = mode !== 'files';

  useFsChanges(client, generation, workspace?.id, context.selection.node, active, {
    onChanges: (changes) => onDiskChanges(changes, { tree, docs, mark, open: viewing ? doc?.path : undefined }),
    onSubscribed: () => {
      tree.refresh();
      for (const path of docs.paths()) recheck(docs, path, path === doc?.path && viewing, mark);
    },
  });

  const deps: FilesDeps = {
    tree,
    docs,
    view,
    height,
    setMode,
    notify,
    openFile: (path, next) => {
      docs.open(path);
      mark([path], false);
      setMode(next);
    },
    save: (overwrite) =>
      void docs.save(overwrite).then((outcome: SaveOutcome) => {
        if (outcome.kind === 'saved') notify(`saved ${outcome.path}`);
        if (outcome.kind === 'failed') notify(`not saved: ${outcome.message}`);
        if (outcome.kind === 'conflict') setMode('conflict');
        if (outcome.kind === 'saved') leaveConflict();
      }),
  };

  const unsaved = [...docs.modified];
  return {
    focus: mode,
    perform: (action) => {
      if (workspace) BY_MODE[mode](deps, action);
    },
    type: (input, key) => typeInto(deps, mode, input, key),
    hints: HINTS[mode],
    render: () => renderFiles(context, { tree, docs, mode, changed, view }),
    unsaved,
    beforeQuit:
      unsaved.length === 0
        ? undefined
        : `Unsaved edits in ${unsaved.join(', ')}: Ctrl-S in the editor saves; q again quits without them.`,
  };
}

/** The pane: the file list, or the open file in the viewer or the editor. */
function renderFiles(
  { selection, focused, width, height }: TabContext,
  shown: { tree: FileTree; docs: Documents; mode: FilesFocus; changed: ReadonlySet<string>; view: View },
) {
  const { tree, docs, mode, view } = shown;
  const workspace = selection.workspace;
  const doc = docs.doc;
  if (!workspace || mode === 'files' || !doc) {
    const lines = treeLines(tree.rows, tree.top, height - 1, tree.selected, shown.changed, docs.modified);
    const hint = workspace ? undefined : 'Select a workspace in the tree to browse its files.';
    const title = workspace ? `Files · ${workspace.path}` : 'Files';
    return <FileListPane title={title} lines={lines} hint={hint} focused={focused} width={width} height={height} />;
  }
  return (
    <FileViewPane
      title={`${doc.path}${isModified(doc) ? ' · modified' : ''}${mode === 'viewer' ? '' : ' · editing'}`}
      lines={doc.state === 'ready' && !doc.binary ? docLines(doc, view, mode !== 'viewer') : []}
      message={messageOf(doc)}
      status={statusOf(doc, mode, view)}
      focused={focused}
      width={width}
      height={height}
    />
  );
}
