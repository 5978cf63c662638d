import type { Key } from 'ink';
import { useState } from 'react';
import type { TabContext, TabController } from '../tab.js';
import {
  type Doc,
  edited,
  isModified,
  scrolled,
  scrolledSideways,
  startEditing,
  type View,
  viewOf,
} from './document.js';
import { onDiskChanges, recheck } from './disk-changes.js';
import { messageOf, statusOf } from './doc-status.js';
import { FileListPane } from './FileListPane.js';
import { FileViewPane } from './FileViewPane.js';
import type { FilesAction, FilesFocus } from './keys.js';
import { eraseBackward, eraseForward, insertText, type Motion, moveCursor } from './text-buffer.js';
import { isWithin, parentPath, ROOT } from './tree-model.js';
import { type SaveOutcome, useDocuments } from './use-documents.js';
import { useFileTree } from './use-file-tree.js';
import { useFsChanges } from './use-fs-changes.js';
import { docLines, treeLines } from './view-lines.js';

interface TabState {
  workspace: string | undefined;
  mode: FilesFocus;
  /** Paths that changed on disk since they were last viewed. */
  changed: ReadonlySet<string>;
}

function freshTab(workspace: string | undefined): TabState {
  return { workspace, mode: 'files', changed: new Set() };
}

const HINTS: Record<FilesFocus, string> = {
  files: 'j/k move · Enter open · ←/→ fold · e edit · Tab tree · ? help',
  viewer: 'j/k scroll · ←/→ sideways · g/G ends · e edit · Esc list',
  editor: 'Ctrl-S save · Esc stop editing · arrows move',
  conflict: 'o overwrite with yours · r reload theirs · Esc keep editing',
};

const MOTIONS: Partial<Record<FilesAction, Motion>> = {
  up: 'up',
  down: 'down',
  left: 'left',
  right: 'right',
  'line-start': 'line-start',
  'line-end': 'line-end',
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
  const { client, generation, active, focused, width, height, notify } = context;
  const workspace = context.selection.workspace;
  const tree = useFileTree(client, workspace?.id, active, height - 1);
  const docs = useDocuments(client, workspace?.id);
  const [stored, setTab] = useState(() => freshTab(workspace?.id));
  const tab = stored.workspace === workspace?.id ? stored : freshTab(workspace?.id);
  if (tab !== stored) setTab(tab);
  const mode = workspace ? tab.mode : 'files';
  const setMode = (next: FilesFocus) => setTab((current) => ({ ...current, mode: next }));
  const mark = (paths: readonly string[], on: boolean) =>
    setTab((current) => {
      const changed = new Set(current.changed);
      for (const path of paths) {
        if (on) changed.add(path);
        else for (const held of current.changed) if (isWithin(held, path)) changed.delete(held);
      }
      return { ...current, changed };
    });

  const doc = docs.doc;
  const view: View = doc
    ? viewOf(doc, width, height)
    : { rows: Math.max(1, height - 2), columns: Math.max(1, width - 4) };
  const viewing = mode !== 'files';

  useFsChanges(client, generation, workspace?.id, active, {
    onChanges: (changes) => onDiskChanges(changes, { tree, docs, mark, open: viewing ? doc?.path : undefined }),
    onSubscribed: () => {
      tree.refresh();
      for (const path of docs.paths()) recheck(docs, path, path === doc?.path && viewing, mark);
    },
  });

  const openFile = (path: string, next: 'viewer' | 'editor') => {
    docs.open(path);
    mark([path], false);
    setMode(next);
  };

  const save = (overwrite: boolean) =>
    void docs.save(overwrite).then((outcome: SaveOutcome) => {
      if (outcome.kind === 'saved') notify(`saved ${outcome.path}`);
      if (outcome.kind === 'failed') notify(`not saved: ${outcome.message}`);
      if (outcome.kind === 'conflict') setMode('conflict');
      else if (outcome.kind === 'saved')
        setTab((current) => (current.mode === 'conflict' ? { ...current, mode: 'editor' } : current));
    });

  const inList = (action: FilesAction) => {
    const row = tree.row;
    const rowsOnScreen = Math.max(1, height - 2);
    switch (action) {
      case 'up':
        return tree.move(-1);
      case 'down':
        return tree.move(1);
      case 'page-up':
        return tree.move(-rowsOnScreen);
      case 'page-down':
        return tree.move(rowsOnScreen);
      case 'top':
        return tree.moveTo(0);
      case 'bottom':
        return tree.moveTo(tree.rows.length - 1);
      case 'refresh':
        return tree.refresh();
      case 'left':
        if (row?.kind === 'entry' && row.expanded) return tree.collapse(row.path);
        if (row !== undefined) {
          const parent = row.kind === 'entry' ? parentPath(row.path) : row.dir;
          if (parent !== ROOT) tree.select(parent);
        }
        return;
    }
    if (row?.kind !== 'entry') return;
    const directory = row.entry.type === 'directory';
    if (action === 'open' && directory) return row.expanded ? tree.collapse(row.path) : tree.expand(row.path);
    if (action === 'right' && directory) return row.expanded ? tree.move(1) : tree.expand(row.path);
    if ((action === 'open' || action === 'right') && !directory) return openFile(row.path, 'viewer');
    if (action === 'edit' && !directory) return openFile(row.path, 'editor');
  };

  const inViewer = (action: FilesAction) => {
    const page = Math.max(1, view.rows - 1);
    const sideways = Math.max(4, Math.floor(view.columns / 2));
    const lines = doc?.buffer.lines.length ?? 0;
    const scroll: Partial<Record<FilesAction, (held: Doc) => Doc>> = {
      up: (held) => scrolled(held, -1, view),
      down: (held) => scrolled(held, 1, view),
      'page-up': (held) => scrolled(held, -page, view),
      'page-down': (held) => scrolled(held, page, view),
      top: (held) => scrolled(held, -lines, view),
      bottom: (held) => scrolled(held, lines, view),
      left: (held) => scrolledSideways(held, -sideways),
      right: (held) => scrolledSideways(held, sideways),
    };
    const change = scroll[action];
    if (change) return docs.change(change);
    if (action === 'back') return setMode('files');
    if (action === 'edit') {
      if (!isEditable(doc)) return notify(doc?.binary ? 'Binary files are not edited here.' : 'Nothing to edit.');
      docs.change((held) => startEditing(held, view));
      return setMode('editor');
    }
  };

  const inEditor = (action: FilesAction) => {
    if (action === 'back') return setMode('viewer');
    if (action === 'save') {
      if (doc && !isModified(doc) && doc.conflict === undefined && doc.disk !== 'deleted')
        return notify('No changes to save.');
      return save(false);
    }
    if (!isEditable(doc)) return;
    const page = Math.max(1, view.rows - 1);
    const motion = MOTIONS[action];
    if (motion) return docs.change((held) => edited(held, (buffer) => moveCursor(buffer, motion), view));
    if (action === 'page-up' || action === 'page-down') {
      const direction = action === 'page-up' ? 'up' : 'down';
      return docs.change((held) => edited(held, (buffer) => moveCursor(buffer, direction, page), view));
    }
    if (action === 'newline') return docs.change((held) => edited(held, (buffer) => insertText(buffer, '\n'), view));
    if (action === 'erase') return docs.change((held) => edited(held, eraseBackward, view));
    if (action === 'erase-forward') return docs.change((held) => edited(held, eraseForward, view));
  };

  const inConflict = (action: FilesAction) => {
    if (action === 'overwrite') return save(true);
    if (action === 'back') return setMode('editor');
    if (action === 'reload') {
      docs.reload();
      return setMode('editor');
    }
  };

  const type = (input: string, key: Key): boolean => {
    if (mode !== 'editor' || !isEditable(doc) || key.ctrl || key.meta) return false;
    const text = key.tab ? '\t' : input;
    if (text === '') return false;
    docs.change((held) => edited(held, (buffer) => insertText(buffer, text), view));
    return true;
  };

  const perform = (action: FilesAction) => {
    if (!workspace) return;
    if (mode === 'files') return inList(action);
    if (mode === 'viewer') return inViewer(action);
    if (mode === 'editor') return inEditor(action);
    return inConflict(action);
  };

  const render = () => {
    if (!workspace || !viewing || !doc) {
      const lines = treeLines(tree.rows, tree.top, height - 1, tree.selected, tab.changed, docs.modified);
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
  };

  const unsaved = [...docs.modified];
  return {
    focus: mode,
    perform,
    type,
    hints: HINTS[mode],
    render,
    unsaved,
    beforeQuit:
      unsaved.length === 0
        ? undefined
        : `Unsaved edits in ${unsaved.join(', ')}: Ctrl-S in the editor saves; q again quits without them.`,
  };
}

function isEditable(doc: Doc | undefined): boolean {
  return doc !== undefined && doc.state === 'ready' && !doc.binary;
}
