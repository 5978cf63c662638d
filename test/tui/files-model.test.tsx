import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FsEntry, FsListResult } from '../../src/protocol/workspace-types.js';
import type { TextBuffer } from '../../tui/tabs/files/text-buffer.js';
import { tui } from './helpers/shipped.js';

const {
  bufferOf,
  cells,
  EMPTY_TREE,
  eraseBackward,
  eraseForward,
  expand,
  flatten,
  insertText,
  joinLines,
  moveCursor,
  splitLines,
  treeLines,
  withExpanded,
  withListing,
  withoutDirectory,
} = tui;

const entry = (name: string, type: FsEntry['type'] = 'file', ignored = false): FsEntry => ({
  name,
  type,
  size: 1,
  mtime: 1,
  ignored,
});

const page = (path: string, entries: FsEntry[], total = entries.length, next: number | null = null): FsListResult => ({
  path,
  entries,
  total,
  next,
});

/** The buffer's text with the cursor drawn as `|`. */
function show(buffer: TextBuffer): string {
  return buffer.lines
    .map((line, index) =>
      index === buffer.cursor.line ? `${line.slice(0, buffer.cursor.col)}|${line.slice(buffer.cursor.col)}` : line,
    )
    .join('\n');
}

describe('text buffer', () => {
  it('splits and joins a file back to the same bytes, whatever its line endings', () => {
    for (const text of ['', '\n', 'a', 'a\nb', 'a\nb\n', 'a\r\nb\r\n', 'a\n\n\n']) {
      const { lines, endings } = splitLines(text);
      assert.equal(joinLines(lines, endings), text, JSON.stringify(text));
    }
    assert.deepEqual(splitLines('a\nb\n').lines, ['a', 'b'], 'the final newline is not a line of its own');
  });

  it('inserts a paste with every kind of newline at the cursor', () => {
    const buffer = insertText(bufferOf(['head tail'], { line: 0, col: 5 }), 'one\ntwo\r\nthree\rfour ');
    assert.equal(show(buffer), 'head one\ntwo\nthree\nfour |tail');
  });

  it('erases backward across a line break, and forward across one', () => {
    let buffer = bufferOf(['ab', 'cd'], { line: 1, col: 0 });
    buffer = eraseBackward(buffer);
    assert.equal(show(buffer), 'ab|cd');
    buffer = eraseBackward(buffer);
    assert.equal(show(buffer), 'a|cd');
    buffer = eraseForward(buffer);
    assert.equal(show(buffer), 'a|d');
    assert.equal(show(eraseBackward(bufferOf(['x']))), '|x', 'nothing before the start');
    assert.equal(show(eraseForward(bufferOf(['x'], { line: 0, col: 1 }))), 'x|', 'nothing after the end');
  });

  it('keeps the column it aims for across a shorter line, and never stops inside a surrogate pair', () => {
    let buffer = bufferOf(['long line', 'ab', 'long line'], { line: 0, col: 7 });
    buffer = moveCursor(buffer, 'down');
    assert.equal(buffer.cursor.col, 2);
    buffer = moveCursor(buffer, 'down');
    assert.equal(buffer.cursor.col, 7);
    const emoji = bufferOf(['a😀b'], { line: 0, col: 1 });
    assert.equal(moveCursor(emoji, 'right').cursor.col, 3);
    assert.equal(moveCursor(bufferOf(['a😀b'], { line: 0, col: 3 }), 'left').cursor.col, 1);
    assert.equal(show(eraseBackward(bufferOf(['a😀b'], { line: 0, col: 3 }))), 'a|b');
  });

  it('moves left from a line start to the end of the line above, and right back', () => {
    const buffer = moveCursor(bufferOf(['ab', 'cd'], { line: 1, col: 0 }), 'left');
    assert.equal(show(buffer), 'ab|\ncd');
    assert.equal(show(moveCursor(buffer, 'right')), 'ab\n|cd');
  });
});

describe('drawing lines', () => {
  it('turns tabs into spaces to the next stop and control characters into a mark', () => {
    assert.equal(expand('a\tb'), 'a   b');
    assert.equal(expand('\u001b[31mred'), '·[31mred');
  });

  it('cuts to the cells on screen without splitting a surrogate pair', () => {
    assert.equal(cells('abcdef', 2, 3), 'cde');
    assert.equal(cells('a😀b', 2, 5), 'b');
    assert.equal(cells('a😀b', 0, 2), 'a');
  });
});

describe('file tree model', () => {
  const root = withListing(
    EMPTY_TREE,
    '.',
    page('.', [entry('src', 'directory'), entry('dist', 'directory', true), entry('a.txt')], 3),
    0,
  );

  it('shows only the listed folders, indented under the open ones', () => {
    const opened = withListing(
      withExpanded(root, 'src', true),
      'src',
      page('src', [entry('lib', 'directory'), entry('main.ts')]),
      0,
    );
    const rows = flatten(opened).map((row) => `${row.depth}:${row.kind === 'entry' ? row.path : row.kind}`);
    assert.deepEqual(rows, ['0:src', '1:src/lib', '1:src/main.ts', '0:dist', '0:a.txt']);
    assert.deepEqual(
      flatten(withExpanded(opened, 'src', false)).map((row) => row.path),
      ['src', 'dist', 'a.txt'],
      'closing keeps the listing but hides it',
    );
  });

  it('adds later pages after the loaded ones and stands for the rest with a "more" row', () => {
    const first = withListing(EMPTY_TREE, '.', page('.', [entry('a'), entry('b')], 5, 2), 0);
    let rows = flatten(first);
    assert.deepEqual(rows.at(-1), { kind: 'more', path: './\u0000more', dir: '.', depth: 0, remaining: 3 });
    const second = withListing(first, '.', page('.', [entry('c'), entry('d'), entry('e')], 5, null), 2);
    rows = flatten(second);
    assert.deepEqual(
      rows.map((row) => row.path),
      ['a', 'b', 'c', 'd', 'e'],
    );
  });

  it('forgets a deleted folder and what was open inside it', () => {
    const opened = withListing(withExpanded(root, 'src', true), 'src', page('src', [entry('main.ts')]), 0);
    const gone = withoutDirectory(opened, 'src');
    assert.equal(gone.listings.has('src'), false);
    assert.equal(gone.expanded.has('src'), false);
  });

  it('draws ignored entries dim and marks folders holding a changed or modified file', () => {
    const opened = withListing(withExpanded(root, 'src', true), 'src', page('src', [entry('main.ts')]), 0);
    const lines = treeLines(flatten(opened), 0, 10, 1, new Set(['src/main.ts']), new Set(['a.txt']));
    assert.deepEqual(
      lines.map((line) => [line.text, line.mark, line.dim, line.selected]),
      [
        ['▾ src/', '*', false, false],
        ['    main.ts', '*', false, true],
        ['▸ dist/', '', true, false],
        ['  a.txt', '+', false, false],
      ],
    );
  });
});
