import type { Binding, CommandOf, HelpSection } from '../../keys/types.js';

/**
 * The Files tab's modes: the file list, the viewer, the editor (a typing
 * focus: keymap.ts lists it in TYPING), and the conflict banner a refused save
 * leaves, which takes single keys and so must not be a typing focus.
 */
export type FilesFocus = 'files' | 'viewer' | 'editor' | 'conflict';

export type FilesAction =
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'page-up'
  | 'page-down'
  | 'top'
  | 'bottom'
  | 'line-start'
  | 'line-end'
  | 'open'
  | 'back'
  | 'edit'
  | 'refresh'
  | 'save'
  | 'newline'
  | 'erase'
  | 'erase-forward'
  | 'reload'
  | 'overwrite';

export type FilesCommand = CommandOf<'files', FilesAction>;

const files = (action: FilesAction): FilesCommand => ({ owner: 'files', action });

export const FILES_BINDINGS: readonly Binding<FilesCommand, FilesFocus>[] = [
  { keys: ['up', 'k'], command: files('up'), where: 'files', description: 'previous entry' },
  { keys: ['down', 'j'], command: files('down'), where: 'files', description: 'next entry' },
  { keys: ['pageup'], command: files('page-up'), where: 'files', description: 'page up' },
  { keys: ['pagedown', 'space'], command: files('page-down'), where: 'files', description: 'page down' },
  { keys: ['g', 'home'], command: files('top'), where: 'files', description: 'first entry' },
  {
    keys: ['G', 'end'],
    command: files('bottom'),
    where: 'files',
    description: 'last entry (loads more of a long folder)',
  },
  {
    keys: ['enter'],
    command: files('open'),
    where: 'files',
    description: 'view the file, or open or close the folder',
  },
  { keys: ['right', 'l'], command: files('right'), where: 'files', description: 'open the folder (or view the file)' },
  { keys: ['left', 'h'], command: files('left'), where: 'files', description: 'close the folder, or go to its parent' },
  { keys: ['e'], command: files('edit'), where: 'files', description: 'edit the file' },
  { keys: ['r'], command: files('refresh'), where: 'files', description: 'list the open folders again' },
  { keys: ['down', 'j'], command: files('down'), where: 'viewer', description: 'scroll down a line' },
  { keys: ['up', 'k'], command: files('up'), where: 'viewer', description: 'scroll up a line' },
  { keys: ['pagedown', 'space'], command: files('page-down'), where: 'viewer', description: 'page down' },
  { keys: ['pageup'], command: files('page-up'), where: 'viewer', description: 'page up' },
  { keys: ['g', 'home'], command: files('top'), where: 'viewer', description: 'first line' },
  { keys: ['G', 'end'], command: files('bottom'), where: 'viewer', description: 'last line' },
  { keys: ['right', 'l'], command: files('right'), where: 'viewer', description: 'scroll right (long lines are cut)' },
  { keys: ['left', 'h'], command: files('left'), where: 'viewer', description: 'scroll left' },
  { keys: ['e'], command: files('edit'), where: 'viewer', description: 'edit the file' },
  { keys: ['escape'], command: files('back'), where: 'viewer', description: 'back to the file list' },
  {
    keys: ['ctrl+s'],
    command: files('save'),
    where: 'editor',
    description: 'save (refused if the file changed on disk)',
  },
  { keys: ['escape'], command: files('back'), where: 'editor', description: 'stop editing (unsaved edits are kept)' },
  { keys: ['up'], command: files('up'), where: 'editor', description: 'cursor up' },
  { keys: ['down'], command: files('down'), where: 'editor', description: 'cursor down' },
  { keys: ['left'], command: files('left'), where: 'editor', description: 'cursor left' },
  { keys: ['right'], command: files('right'), where: 'editor', description: 'cursor right' },
  { keys: ['home', 'ctrl+a'], command: files('line-start'), where: 'editor', description: 'start of the line' },
  { keys: ['end', 'ctrl+e'], command: files('line-end'), where: 'editor', description: 'end of the line' },
  { keys: ['pageup'], command: files('page-up'), where: 'editor', description: 'cursor a page up' },
  { keys: ['pagedown'], command: files('page-down'), where: 'editor', description: 'cursor a page down' },
  { keys: ['enter'], command: files('newline'), where: 'editor', description: 'new line' },
  {
    keys: ['backspace'],
    command: files('erase'),
    where: 'editor',
    description: 'delete the character before the cursor',
  },
  {
    keys: ['ctrl+d'],
    command: files('erase-forward'),
    where: 'editor',
    description: 'delete the character at the cursor',
  },
  {
    keys: ['o'],
    command: files('overwrite'),
    where: 'conflict',
    description: 'overwrite: save your version over the one on disk',
  },
  { keys: ['r'], command: files('reload'), where: 'conflict', description: 'reload: drop your edits, show the disk' },
  // q too: the banner is not a typing focus, and q quitting there would drop the edits unasked.
  { keys: ['escape', 'q'], command: files('back'), where: 'conflict', description: 'keep editing (not saved yet)' },
];

export const FILES_SECTIONS: readonly HelpSection<FilesFocus>[] = [
  { where: 'files', title: 'Files' },
  { where: 'viewer', title: 'File viewer' },
  { where: 'editor', title: 'Editor (typed text goes into the file; Tab inserts a tab)' },
  { where: 'conflict', title: 'Save conflict (the file changed on disk)' },
];
