import { cells, expand, gutterWidth, displayColumn } from './display.js';
import type { Doc, View } from './document.js';
import { isWithin, type TreeRow } from './tree-model.js';

/** One row of the file list as drawn. */
export interface TreeLine {
  key: string;
  text: string;
  /** `*` changed on disk since last viewed, `+` unsaved edits. */
  mark: string;
  dim: boolean;
  directory: boolean;
  selected: boolean;
}

/** The rows on screen, from `top`, with their marks; a folder is marked when something inside it is. */
export function treeLines(
  rows: readonly TreeRow[],
  top: number,
  height: number,
  selected: number,
  changed: ReadonlySet<string>,
  modified: ReadonlySet<string>,
): TreeLine[] {
  const inside = (dir: string, paths: ReadonlySet<string>) => [...paths].some((path) => isWithin(path, dir));
  return rows.slice(top, top + height).map((row, offset) => {
    const indent = '  '.repeat(row.depth);
    const isSelected = top + offset === selected;
    if (row.kind !== 'entry') {
      const text = row.kind === 'more' ? `… ${row.remaining} more (they load as they scroll into view)` : row.text;
      return { key: row.path, text: `${indent}  ${text}`, mark: '', dim: true, directory: false, selected: isSelected };
    }
    const directory = row.entry.type === 'directory';
    const icon = directory ? (row.expanded ? '▾ ' : '▸ ') : '  ';
    const check = (paths: ReadonlySet<string>) => paths.has(row.path) || (directory && inside(row.path, paths));
    const mark = `${check(changed) ? '*' : ''}${check(modified) ? '+' : ''}`;
    // A name may hold any byte but NUL and /, a newline among them.
    const name = `${expand(row.entry.name)}${directory ? '/' : row.entry.type === 'symlink' ? '@' : ''}`;
    return {
      key: row.path,
      text: `${indent}${icon}${name}`,
      mark,
      dim: row.entry.ignored,
      directory,
      selected: isSelected,
    };
  });
}

/** One line of a file as drawn: its number and its visible cells, split around the cursor while editing. */
export interface DocLine {
  number: string;
  text: string;
  /** On the cursor's line: the cells before it, the one under it (a space past the end) and those after. */
  cursor: { before: string; at: string; after: string } | undefined;
}

export function docLines(doc: Doc, view: View, editing: boolean): DocLine[] {
  const width = gutterWidth(doc.buffer.lines.length);
  const { line: cursorLine, col } = doc.buffer.cursor;
  return doc.buffer.lines.slice(doc.top, doc.top + view.rows).map((line, offset) => {
    const index = doc.top + offset;
    const text = cells(expand(line), doc.left, view.columns);
    const cursor = editing && index === cursorLine ? splitAt(text, displayColumn(line, col) - doc.left) : undefined;
    return { number: String(index + 1).padStart(width), text, cursor };
  });
}

function splitAt(text: string, cell: number): DocLine['cursor'] {
  const chars = Array.from(text);
  let at = 0;
  for (let width = 0; at < chars.length && width + chars[at]!.length <= cell; at++) width += chars[at]!.length;
  return { before: chars.slice(0, at).join(''), at: chars[at] ?? ' ', after: chars.slice(at + 1).join('') };
}
