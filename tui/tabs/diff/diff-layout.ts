import type { DiffFile, DiffHunk, DiffStatus, WorkspaceDiff } from '../../../src/protocol/workspace-types.js';
import { wrapText } from '../../state/event-lines.js';

export type LineColor = 'red' | 'green' | 'cyan' | 'yellow' | 'gray' | 'magenta';

/** One screen line of the diff's body. */
export interface DiffLine {
  text: string;
  color?: LineColor;
  bold?: boolean;
  /** The file the line belongs to (its index in the diff). */
  file: number;
  /** The hunk it belongs to (its `@@` line, its lines, its comments); undefined on a file's header and notes. */
  hunk?: number;
}

export interface HunkStart {
  line: number;
  file: number;
  hunk: number;
}

/** The whole diff laid out as lines, with where each file and hunk starts (for the jump keys). */
export interface DiffLayout {
  lines: DiffLine[];
  fileStarts: number[];
  hunkStarts: HunkStart[];
}

export const STATUS_LETTER: Record<DiffStatus, string> = {
  added: 'A',
  modified: 'M',
  deleted: 'D',
  renamed: 'R',
  copied: 'C',
  type_changed: 'T',
};

/** Line numbers take room a narrow pane needs for the code: both sides when wide, the new side when not, else none. */
type Gutter = { columns: 0 | 1 | 2; digits: number };

function gutterFor(diff: WorkspaceDiff, width: number): Gutter {
  let highest = 1;
  for (const file of diff.files) {
    for (const hunk of file.hunks)
      highest = Math.max(highest, hunk.old_start + hunk.old_lines, hunk.new_start + hunk.new_lines);
  }
  const digits = String(highest).length;
  return { columns: width >= 72 ? 2 : width >= 32 ? 1 : 0, digits };
}

function numbers(gutter: Gutter, old: number | undefined, next: number | undefined): string {
  const cell = (value: number | undefined) => (value === undefined ? '' : String(value)).padStart(gutter.digits);
  if (gutter.columns === 2) return `${cell(old)} ${cell(next)} `;
  if (gutter.columns === 1) return `${cell(next)} `;
  return '';
}

/** Drops C0 control characters and DEL, which would throw Ink's width count off and break the border. */
export function withoutControls(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code >= 32 && code !== 127) out += char;
  }
  return out;
}

/** Tabs expand to two columns: a narrow pane cannot spare eight. */
function printable(text: string): string {
  return withoutControls(text.replace(/\t/g, '  '));
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A path cut from the left to `room` columns, keeping its file name. */
export function fitPath(path: string, room: number): string {
  if (path.length <= room) return path;
  return room <= 1 ? '…' : `…${path.slice(path.length - room + 1)}`;
}

function fileName(file: DiffFile): string {
  return file.old_path && file.old_path !== file.path ? `${file.old_path} → ${file.path}` : file.path;
}

/** A row of the compact file list: status letter, path, line counts and the comments on it. */
export function fileRow(file: DiffFile, width: number, comments: number): string {
  const stats = ` +${file.added} −${file.removed}${file.binary ? ' bin' : ''}${comments > 0 ? ` ✎${comments}` : ''}`;
  const room = Math.max(1, width - 2 - stats.length);
  return `${STATUS_LETTER[file.status]} ${fitPath(fileName(file), room)}${stats}`;
}

function hunkHeader(hunk: DiffHunk, comments: number): string {
  const range = `@@ -${hunk.old_start},${hunk.old_lines} +${hunk.new_start},${hunk.new_lines} @@`;
  return `${range}${hunk.header ? ` ${printable(hunk.header)}` : ''}${comments > 0 ? ` ✎${comments}` : ''}`;
}

/** A hunk's lines: the `@@` header, each line coloured by its marker and numbered, then its comments. */
function hunkLines(
  hunk: DiffHunk,
  at: { file: number; hunk: number },
  gutter: Gutter,
  comments: readonly string[],
  width: number,
): DiffLine[] {
  const lines: DiffLine[] = [{ text: hunkHeader(hunk, comments.length), color: 'cyan', ...at }];
  let old = hunk.old_start;
  let next = hunk.new_start;
  for (const raw of hunk.lines) {
    const text = printable(raw);
    if (raw.startsWith('+')) lines.push({ text: numbers(gutter, undefined, next++) + text, color: 'green', ...at });
    else if (raw.startsWith('-')) lines.push({ text: numbers(gutter, old++, undefined) + text, color: 'red', ...at });
    else if (raw.startsWith('\\'))
      lines.push({ text: numbers(gutter, undefined, undefined) + text, color: 'gray', ...at });
    else lines.push({ text: numbers(gutter, old++, next++) + text, ...at });
  }
  for (const comment of comments) {
    for (const text of wrapText(`✎ ${printable(comment)}`, width)) lines.push({ text, color: 'yellow', ...at });
  }
  return lines;
}

/** Why a file shows no hunks. */
function noteFor(file: DiffFile, truncated: boolean): string {
  if (file.binary) return '  binary file: no lines to show';
  if (truncated) return '  not shown: the diff was too large to send whole';
  return '  no line changes (mode or empty file)';
}

/**
 * Lays the whole diff out as screen lines, `width` columns wide: each file's
 * header, then its hunks (or a note saying why there are none). Laid out once
 * per diff; the pane draws only the lines in its window.
 */
export function layoutDiff(
  diff: WorkspaceDiff,
  width: number,
  commentsOn: (file: DiffFile, hunk: DiffHunk) => string[],
): DiffLayout {
  const gutter = gutterFor(diff, width);
  const layout: DiffLayout = { lines: [], fileStarts: [], hunkStarts: [] };
  diff.files.forEach((file, fileIndex) => {
    layout.fileStarts.push(layout.lines.length);
    const header = `── ${STATUS_LETTER[file.status]} ${fileName(file)}  +${file.added} −${file.removed}`;
    layout.lines.push({ text: header, color: 'magenta', bold: true, file: fileIndex });
    if (file.hunks.length === 0)
      layout.lines.push({ text: noteFor(file, diff.truncated), color: 'gray', file: fileIndex });
    file.hunks.forEach((hunk, hunkIndex) => {
      layout.hunkStarts.push({ line: layout.lines.length, file: fileIndex, hunk: hunkIndex });
      layout.lines.push(
        ...hunkLines(hunk, { file: fileIndex, hunk: hunkIndex }, gutter, commentsOn(file, hunk), width),
      );
    });
  });
  return layout;
}

/** A summary of the diff for the title: `2 files +3 −1`. */
export function diffSummary(diff: WorkspaceDiff): string {
  return `${plural(diff.files.length, 'file')} +${diff.added} −${diff.removed}${diff.truncated ? ' (truncated)' : ''}`;
}

/**
 * The file and hunk at a line: the hunk it is in, or on a file's header, the
 * file's first hunk (that is what a comment there would be about).
 */
export function positionAt(layout: DiffLayout, diff: WorkspaceDiff, line: number): { file?: number; hunk?: number } {
  const at = layout.lines[Math.max(0, Math.min(line, layout.lines.length - 1))];
  if (!at) return {};
  const hunk = at.hunk ?? ((diff.files[at.file]?.hunks.length ?? 0) > 0 ? 0 : undefined);
  return { file: at.file, hunk };
}

/** The first start after `line`, or the last before it: where n/N and f/F go. */
export function nextStart(starts: readonly number[], line: number, direction: 1 | -1): number | undefined {
  if (direction === 1) return starts.find((start) => start > line);
  let found: number | undefined;
  for (const start of starts) if (start < line) found = start;
  return found;
}
