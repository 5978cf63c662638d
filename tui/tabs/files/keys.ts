import type { Binding, HelpSection } from '../../keys/types.js';

/** The Files tab's modes: the file list, the viewer and the editor. */
export type FilesFocus = 'files' | 'viewer' | 'editor';

export type FilesAction = 'files-up' | 'files-down' | 'files-open' | 'files-back' | 'files-edit' | 'files-save';

export const FILES_BINDINGS: readonly Binding<FilesAction, FilesFocus>[] = [
  { keys: ['up', 'k'], action: 'files-up', where: 'files', description: 'previous file' },
  { keys: ['down', 'j'], action: 'files-down', where: 'files', description: 'next file' },
  { keys: ['enter'], action: 'files-open', where: 'files', description: 'open the file, or the folder' },
  { keys: ['escape'], action: 'files-back', where: 'viewer', description: 'back to the file list' },
  { keys: ['e'], action: 'files-edit', where: 'viewer', description: 'edit the file' },
  { keys: ['ctrl+s'], action: 'files-save', where: 'editor', description: 'save' },
];

export const FILES_SECTIONS: readonly HelpSection<FilesFocus>[] = [
  { where: 'files', title: 'Files' },
  { where: 'viewer', title: 'File viewer' },
  { where: 'editor', title: 'Editor' },
];
