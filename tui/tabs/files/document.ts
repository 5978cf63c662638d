import type { FsReadResult } from '../../../src/protocol/workspace-types.js';
import { displayColumn, expand, gutterWidth } from './display.js';
import { bufferOf, clampCursor, type LineEndings, splitLines, type TextBuffer } from './text-buffer.js';

/** A save the daemon refused because the file is no longer what was loaded. */
export interface Conflict {
  message: string;
  /** The hash on disk now, when the daemon said (none when the file was deleted). */
  hash: string | undefined;
}

/** A file opened in the viewer or the editor, as pure data. */
export interface Doc {
  path: string;
  state: 'loading' | 'ready' | 'failed';
  /** Why it could not be read (too big, gone, not a file). */
  error: string | undefined;
  binary: boolean;
  size: number;
  /** The hash of what was loaded or last saved: the expected_hash of the next save. */
  hash: string;
  endings: LineEndings;
  buffer: TextBuffer;
  /** The first line and the first cell shown. */
  top: number;
  left: number;
  /** Edits made, and how many of them are on disk: the file is modified while they differ. */
  edits: number;
  saved: number;
  saving: boolean;
  /** What happened to the file on disk since it was loaded, while it holds edits. */
  disk: 'same' | 'changed' | 'deleted';
  conflict: Conflict | undefined;
}

/** The text area of the pane: the title above and a status line below it take two rows. */
export interface View {
  rows: number;
  columns: number;
}

export function loadingDoc(path: string): Doc {
  return {
    path,
    state: 'loading',
    error: undefined,
    binary: false,
    size: 0,
    hash: '',
    endings: { eol: '\n', finalNewline: false },
    buffer: bufferOf(['']),
    top: 0,
    left: 0,
    edits: 0,
    saved: 0,
    saving: false,
    disk: 'same',
    conflict: undefined,
  };
}

export function isModified(doc: Doc): boolean {
  return doc.edits !== doc.saved;
}

/** The file as read from disk, keeping where the view (and the cursor) was if it was open already. */
export function loadedDoc(doc: Doc, read: FsReadResult): Doc {
  const text = typeof read.content === 'string' ? read.content : '';
  const { lines, endings } = splitLines(text);
  return {
    ...doc,
    state: 'ready',
    error: undefined,
    binary: read.binary,
    size: read.size,
    hash: read.hash,
    endings,
    buffer: clampCursor({ ...bufferOf(lines), cursor: doc.buffer.cursor }),
    top: Math.min(doc.top, Math.max(0, lines.length - 1)),
    edits: 0,
    saved: 0,
    disk: 'same',
    conflict: undefined,
  };
}

export function failedDoc(doc: Doc, error: string): Doc {
  return { ...doc, state: 'failed', error };
}

export function viewOf(doc: Doc, width: number, height: number): View {
  return { rows: Math.max(1, height - 2), columns: Math.max(1, width - 2 - gutterWidth(doc.buffer.lines.length) - 1) };
}

/** The viewer scrolled by `lines` (negative: up), never past the last page. */
export function scrolled(doc: Doc, lines: number, view: View): Doc {
  const last = Math.max(0, doc.buffer.lines.length - view.rows);
  return { ...doc, top: Math.max(0, Math.min(last, doc.top + lines)) };
}

/** The viewer scrolled sideways, at most until the longest line's end is at the left edge. */
export function scrolledSideways(doc: Doc, cells: number): Doc {
  const widest = doc.buffer.lines.reduce((most, line) => Math.max(most, expand(line).length), 0);
  return { ...doc, left: Math.max(0, Math.min(Math.max(0, widest - 1), doc.left + cells)) };
}

/** An editing step: the new text counts as an edit when it differs. */
export function edited(doc: Doc, change: (buffer: TextBuffer) => TextBuffer, view: View): Doc {
  const buffer = change(doc.buffer);
  const edits = buffer.lines === doc.buffer.lines ? doc.edits : doc.edits + 1;
  return followCursor({ ...doc, buffer, edits }, view);
}

/** Starts editing with the cursor on the first line in view, so the text does not jump. */
export function startEditing(doc: Doc, view: View): Doc {
  const visible = doc.buffer.cursor.line >= doc.top && doc.buffer.cursor.line < doc.top + view.rows;
  if (visible) return followCursor(doc, view);
  return followCursor({ ...doc, buffer: clampCursor({ ...doc.buffer, cursor: { line: doc.top, col: 0 } }) }, view);
}

/** Scrolls so that the cursor is in view, moving as little as it can. */
export function followCursor(doc: Doc, view: View): Doc {
  const { line, col } = doc.buffer.cursor;
  const top = line < doc.top ? line : line >= doc.top + view.rows ? line - view.rows + 1 : doc.top;
  const cell = displayColumn(doc.buffer.lines[line] ?? '', col);
  const left = cell < doc.left ? cell : cell >= doc.left + view.columns ? cell - view.columns + 1 : doc.left;
  return top === doc.top && left === doc.left ? doc : { ...doc, top, left };
}
