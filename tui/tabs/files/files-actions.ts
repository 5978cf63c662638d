import type { Key } from 'ink';
import { type Doc, edited, isModified, scrolled, scrolledSideways, startEditing, type View } from './document.js';
import type { FilesAction, FilesFocus } from './keys.js';
import { eraseBackward, eraseForward, insertText, type Motion, moveCursor } from './text-buffer.js';
import { parentPath, ROOT } from './tree-model.js';
import type { Documents } from './use-documents.js';
import type { FileTree } from './use-file-tree.js';

/** What the Files tab's keys act on. */
export interface FilesDeps {
  tree: FileTree;
  docs: Documents;
  view: View;
  /** The rows inside the pane. */
  height: number;
  setMode: (mode: FilesFocus) => void;
  /** Shows a file in the viewer or the editor. */
  openFile: (path: string, mode: 'viewer' | 'editor') => void;
  /** Saves the open file against the hash it was read with, or (overwrite) over what is on disk now. */
  save: (overwrite: boolean) => void;
  notify: (text: string) => void;
}

const MOTIONS: Partial<Record<FilesAction, Motion>> = {
  up: 'up',
  down: 'down',
  left: 'left',
  right: 'right',
  'line-start': 'line-start',
  'line-end': 'line-end',
};

export function isEditable(doc: Doc | undefined): boolean {
  return doc !== undefined && doc.state === 'ready' && !doc.binary;
}

/** ← on a row: an open folder closes, anything else selects its folder. */
function left({ tree }: FilesDeps): void {
  const row = tree.row;
  if (row?.kind === 'entry' && row.expanded) return tree.collapse(row.path);
  if (row === undefined) return;
  const parent = row.kind === 'entry' ? parentPath(row.path) : row.dir;
  if (parent !== ROOT) tree.select(parent);
}

/** Enter, →, e on an entry: a folder opens or closes, a file is shown or edited. */
function onEntry({ tree, openFile }: FilesDeps, action: FilesAction): void {
  const row = tree.row;
  if (row?.kind !== 'entry') return;
  const directory = row.entry.type === 'directory';
  if (action === 'open' && directory) return row.expanded ? tree.collapse(row.path) : tree.expand(row.path);
  if (action === 'right' && directory) return row.expanded ? tree.move(1) : tree.expand(row.path);
  if ((action === 'open' || action === 'right') && !directory) return openFile(row.path, 'viewer');
  if (action === 'edit' && !directory) return openFile(row.path, 'editor');
}

/** The file list: moving, folding, opening. */
export function inList(deps: FilesDeps, action: FilesAction): void {
  const { tree } = deps;
  const rowsOnScreen = Math.max(1, deps.height - 2);
  const moves: Partial<Record<FilesAction, () => void>> = {
    up: () => tree.move(-1),
    down: () => tree.move(1),
    'page-up': () => tree.move(-rowsOnScreen),
    'page-down': () => tree.move(rowsOnScreen),
    top: () => tree.moveTo(0),
    bottom: () => tree.moveTo(tree.rows.length - 1),
    refresh: () => tree.refresh(),
    left: () => left(deps),
  };
  const move = moves[action];
  if (move) return move();
  onEntry(deps, action);
}

/** The viewer: scrolling, back to the list, into the editor. */
export function inViewer(deps: FilesDeps, action: FilesAction): void {
  const { docs, view } = deps;
  const doc = docs.doc;
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
  if (action === 'back') return deps.setMode('files');
  if (action !== 'edit') return;
  if (!isEditable(doc)) return deps.notify(doc?.binary ? 'Binary files are not edited here.' : 'Nothing to edit.');
  docs.change((held) => startEditing(held, view));
  deps.setMode('editor');
}

/** The editor: saving, leaving, moving the cursor, new lines and deletions. */
export function inEditor(deps: FilesDeps, action: FilesAction): void {
  const { docs, view } = deps;
  const doc = docs.doc;
  if (action === 'back') return deps.setMode('viewer');
  if (action === 'save') {
    if (doc && !isModified(doc) && doc.conflict === undefined && doc.disk !== 'deleted')
      return deps.notify('No changes to save.');
    return deps.save(false);
  }
  if (!isEditable(doc)) return;
  const page = Math.max(1, view.rows - 1);
  const edit = (change: Parameters<typeof edited>[1]) => docs.change((held) => edited(held, change, view));
  const motion = MOTIONS[action];
  if (motion) return edit((buffer) => moveCursor(buffer, motion));
  if (action === 'page-up') return edit((buffer) => moveCursor(buffer, 'up', page));
  if (action === 'page-down') return edit((buffer) => moveCursor(buffer, 'down', page));
  if (action === 'newline') return edit((buffer) => insertText(buffer, '\n'));
  if (action === 'erase') return edit(eraseBackward);
  if (action === 'erase-forward') return edit(eraseForward);
}

/** The banner of a refused save: overwrite, reload, or back to editing. */
export function inConflict(deps: FilesDeps, action: FilesAction): void {
  if (action === 'overwrite') return deps.save(true);
  if (action === 'reload') deps.docs.reload();
  if (action === 'reload' || action === 'back') deps.setMode('editor');
}

/** Text typed into the editor (Tab inserts a tab); false for any other key or mode. */
export function typeInto(deps: FilesDeps, mode: FilesFocus, input: string, key: Key): boolean {
  const doc = deps.docs.doc;
  if (mode !== 'editor' || !isEditable(doc) || key.ctrl || key.meta) return false;
  const text = key.tab ? '\t' : input;
  if (text === '') return false;
  deps.docs.change((held) => edited(held, (buffer) => insertText(buffer, text), deps.view));
  return true;
}

/** Runs an action of the mode the tab is in. */
export const BY_MODE: Record<FilesFocus, (deps: FilesDeps, action: FilesAction) => void> = {
  files: inList,
  viewer: inViewer,
  editor: inEditor,
  conflict: inConflict,
};
