import type { Binding, HelpSection } from '../../keys/types.js';

/**
 * The Files tab's modes: the file list, the viewer, the editor (a typing
 * focus: keymap.ts lists it in TYPING), and the conflict banner a refused save
 * leaves, which takes single keys and so must not be a typing focus.
 */
export type FilesFocus = 'files' | 'viewer' | 'editor' | 'conflict';

export type FilesAction =
  | 'files-up'
  | 'files-down'
  | 'files-left'
  | 'files-right'
  | 'files-page-up'
  | 'files-page-down'
  | 'files-top'
  | 'files-bottom'
  | 'files-line-start'
  | 'files-line-end'
  | 'files-open'
  | 'files-back'
  | 'files-edit'
  | 'files-refresh'
  | 'files-save'
  | 'files-newline'
  | 'files-erase'
  | 'files-erase-forward'
  | 'files-reload'
  | 'files-overwrite';

export const FILES_BINDINGS: readonly Binding<FilesAction, FilesFocus>[] = [
  { keys: ['up', 'k'], action: 'files-up', where: 'files', description: 'previous entry' },
  { keys: ['down', 'j'], action: 'files-down', where: 'files', description: 'next entry' },
  { keys: ['pageup'], action: 'files-page-up', where: 'files', description: 'page up' },
  { keys: ['pagedown', 'space'], action: 'files-page-down', where: 'files', description: 'page down' },
  { keys: ['g', 'home'], action: 'files-top', where: 'files', description: 'first entry' },
  {
    keys: ['G', 'end'],
    action: 'files-bottom',
    where: 'files',
    description: 'last entry (loads more of a long folder)',
  },
  { keys: ['enter'], action: 'files-open', where: 'files', description: 'view the file, or open or close the folder' },
  { keys: ['right', 'l'], action: 'files-right', where: 'files', description: 'open the folder (or view the file)' },
  { keys: ['left', 'h'], action: 'files-left', where: 'files', description: 'close the folder, or go to its parent' },
  { keys: ['e'], action: 'files-edit', where: 'files', description: 'edit the file' },
  { keys: ['r'], action: 'files-refresh', where: 'files', description: 'list the open folders again' },
  { keys: ['down', 'j'], action: 'files-down', where: 'viewer', description: 'scroll down a line' },
  { keys: ['up', 'k'], action: 'files-up', where: 'viewer', description: 'scroll up a line' },
  { keys: ['pagedown', 'space'], action: 'files-page-down', where: 'viewer', description: 'page down' },
  { keys: ['pageup'], action: 'files-page-up', where: 'viewer', description: 'page up' },
  { keys: ['g', 'home'], action: 'files-top', where: 'viewer', description: 'first line' },
  { keys: ['G', 'end'], action: 'files-bottom', where: 'viewer', description: 'last line' },
  { keys: ['right', 'l'], action: 'files-right', where: 'viewer', description: 'scroll right (long lines are cut)' },
  { keys: ['left', 'h'], action: 'files-left', where: 'viewer', description: 'scroll left' },
  { keys: ['e'], action: 'files-edit', where: 'viewer', description: 'edit the file' },
  { keys: ['escape'], action: 'files-back', where: 'viewer', description: 'back to the file list' },
  {
    keys: ['ctrl+s'],
    action: 'files-save',
    where: 'editor',
    description: 'save (refused if the file changed on disk)',
  },
  { keys: ['escape'], action: 'files-back', where: 'editor', description: 'stop editing (unsaved edits are kept)' },
  { keys: ['up'], action: 'files-up', where: 'editor', description: 'cursor up' },
  { keys: ['down'], action: 'files-down', where: 'editor', description: 'cursor down' },
  { keys: ['left'], action: 'files-left', where: 'editor', description: 'cursor left' },
  { keys: ['right'], action: 'files-right', where: 'editor', description: 'cursor right' },
  { keys: ['home', 'ctrl+a'], action: 'files-line-start', where: 'editor', description: 'start of the line' },
  { keys: ['end', 'ctrl+e'], action: 'files-line-end', where: 'editor', description: 'end of the line' },
  { keys: ['pageup'], action: 'files-page-up', where: 'editor', description: 'cursor a page up' },
  { keys: ['pagedown'], action: 'files-page-down', where: 'editor', description: 'cursor a page down' },
  { keys: ['enter'], action: 'files-newline', where: 'editor', description: 'new line' },
  {
    keys: ['backspace'],
    action: 'files-erase',
    where: 'editor',
    description: 'delete the character before the cursor',
  },
  {
    keys: ['ctrl+d'],
    action: 'files-erase-forward',
    where: 'editor',
    description: 'delete the character at the cursor',
  },
  {
    keys: ['o'],
    action: 'files-overwrite',
    where: 'conflict',
    description: 'overwrite: save your version over the one on disk',
  },
  { keys: ['r'], action: 'files-reload', where: 'conflict', description: 'reload: drop your edits, show the disk' },
  // q too: the banner is not a typing focus, and q quitting there would drop the edits unasked.
  { keys: ['escape', 'q'], action: 'files-back', where: 'conflict', description: 'keep editing (not saved yet)' },
];

export const FILES_SECTIONS: readonly HelpSection<FilesFocus>[] = [
  { where: 'files', title: 'Files' },
  { where: 'viewer', title: 'File viewer' },
  { where: 'editor', title: 'Editor (typed text goes into the file; Tab inserts a tab)' },
  { where: 'conflict', title: 'Save conflict (the file changed on disk)' },
];
