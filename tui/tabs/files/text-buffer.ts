/**
 * The editor's text as lines and a cursor, with the edits the editor makes,
 * as pure functions. Columns count UTF-16 code units, as JavaScript strings
 * do, but the cursor never stops inside a surrogate pair.
 */

export interface Cursor {
  line: number;
  col: number;
}

export interface TextBuffer {
  lines: readonly string[];
  cursor: Cursor;
  /** The column up and down aim for, so that passing a short line does not lose it. */
  goal: number;
}

/** How the file ended its lines, so that saving writes them the same way. */
export interface LineEndings {
  eol: '\n' | '\r\n';
  finalNewline: boolean;
}

/** Splits a file into lines; `joinLines` puts back exactly the same text. */
export function splitLines(content: string): { lines: string[]; endings: LineEndings } {
  const eol = /\r\n/.test(content) && content.indexOf('\r\n') === content.indexOf('\n') - 1 ? '\r\n' : '\n';
  const lines = content.split(eol === '\r\n' ? '\r\n' : '\n');
  const finalNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, endings: { eol, finalNewline } };
}

export function joinLines(lines: readonly string[], endings: LineEndings): string {
  return lines.join(endings.eol) + (endings.finalNewline ? endings.eol : '');
}

export function bufferOf(lines: readonly string[], cursor: Cursor = { line: 0, col: 0 }): TextBuffer {
  return clampCursor({ lines: lines.length === 0 ? [''] : lines, cursor, goal: cursor.col });
}

/** Keeps the cursor on a line that exists and a column inside it. */
export function clampCursor(buffer: TextBuffer): TextBuffer {
  const line = Math.max(0, Math.min(buffer.cursor.line, buffer.lines.length - 1));
  const col = Math.max(0, Math.min(buffer.cursor.col, (buffer.lines[line] ?? '').length));
  return { ...buffer, cursor: { line, col: snap(buffer.lines[line] ?? '', col) } };
}

/** Inserts text at the cursor; a paste may hold newlines of any kind. */
export function insertText(buffer: TextBuffer, text: string): TextBuffer {
  const pieces = text.replace(/\r\n?/g, '\n').split('\n');
  const { line, col } = buffer.cursor;
  const current = buffer.lines[line] ?? '';
  const before = current.slice(0, col);
  const after = current.slice(col);
  const last = pieces.length - 1;
  const inserted = pieces.map((piece, index) => (index === 0 ? before : '') + piece + (index === last ? after : ''));
  const lines = [...buffer.lines.slice(0, line), ...inserted, ...buffer.lines.slice(line + 1)];
  const endCol = (last === 0 ? before.length : 0) + pieces[last]!.length;
  return { lines, cursor: { line: line + last, col: endCol }, goal: endCol };
}

/** Backspace: the character before the cursor, or the line break before the line. */
export function eraseBackward(buffer: TextBuffer): TextBuffer {
  const { line, col } = buffer.cursor;
  if (col === 0 && line === 0) return buffer;
  if (col === 0) {
    const previous = buffer.lines[line - 1] ?? '';
    const joined = previous + (buffer.lines[line] ?? '');
    const lines = [...buffer.lines.slice(0, line - 1), joined, ...buffer.lines.slice(line + 1)];
    return { lines, cursor: { line: line - 1, col: previous.length }, goal: previous.length };
  }
  const current = buffer.lines[line] ?? '';
  const from = stepLeft(current, col);
  const lines = buffer.lines.map((text, index) =>
    index === line ? current.slice(0, from) + current.slice(col) : text,
  );
  return { lines, cursor: { line, col: from }, goal: from };
}

/** Delete: the character at the cursor, or the line break after the line. */
export function eraseForward(buffer: TextBuffer): TextBuffer {
  const { line, col } = buffer.cursor;
  const current = buffer.lines[line] ?? '';
  if (col === current.length && line === buffer.lines.length - 1) return buffer;
  if (col === current.length) {
    return eraseBackward({ ...buffer, cursor: { line: line + 1, col: 0 } });
  }
  const to = stepRight(current, col);
  const lines = buffer.lines.map((text, index) => (index === line ? current.slice(0, col) + current.slice(to) : text));
  return { lines, cursor: { line, col }, goal: col };
}

export type Motion = 'left' | 'right' | 'up' | 'down' | 'line-start' | 'line-end';

/** Moves the cursor `count` times (a page is `up` or `down` by the page's height). */
export function moveCursor(buffer: TextBuffer, motion: Motion, count = 1): TextBuffer {
  const { line, col } = buffer.cursor;
  const current = buffer.lines[line] ?? '';
  switch (motion) {
    case 'left':
      if (col > 0) return at(buffer, line, stepLeft(current, col));
      return line > 0 ? at(buffer, line - 1, (buffer.lines[line - 1] ?? '').length) : buffer;
    case 'right':
      if (col < current.length) return at(buffer, line, stepRight(current, col));
      return line < buffer.lines.length - 1 ? at(buffer, line + 1, 0) : buffer;
    case 'line-start':
      return at(buffer, line, 0);
    case 'line-end':
      return at(buffer, line, current.length);
    case 'up':
    case 'down': {
      const target = Math.max(0, Math.min(buffer.lines.length - 1, line + (motion === 'up' ? -count : count)));
      const text = buffer.lines[target] ?? '';
      // Past the first or last line, up and down go to its start or end, as most editors do.
      const wanted = target === line ? (motion === 'up' ? 0 : text.length) : buffer.goal;
      return { ...buffer, cursor: { line: target, col: snap(text, Math.min(wanted, text.length)) } };
    }
  }
}

function at(buffer: TextBuffer, line: number, col: number): TextBuffer {
  return { ...buffer, cursor: { line, col }, goal: col };
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function stepLeft(text: string, col: number): number {
  return col >= 2 && isLow(text.charCodeAt(col - 1)) && isHigh(text.charCodeAt(col - 2)) ? col - 2 : col - 1;
}

function stepRight(text: string, col: number): number {
  return isHigh(text.charCodeAt(col)) && isLow(text.charCodeAt(col + 1)) ? col + 2 : col + 1;
}

/** A column moved off the middle of a surrogate pair. */
function snap(text: string, col: number): number {
  return col > 0 && isLow(text.charCodeAt(col)) && isHigh(text.charCodeAt(col - 1)) ? col - 1 : col;
}
