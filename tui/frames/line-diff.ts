import { type Cell, type CellLine, sgr } from './cells.js';

const RESET = '\x1b[0m';
/**
 * Erases from the cursor to the end of the line, in the default colours (the
 * reset comes first). Only ever after text that ends before the last column:
 * a cursor that has just written the last column is still on it, and this
 * would erase that character.
 */
const ERASE_REST = `${RESET}\x1b[K`;
/** Erases the whole line the cursor is on, in the default colours. */
const ERASE_WHOLE = `${RESET}\x1b[2K`;
/** Unchanged cells shorter than this between two changes are written again rather than skipped with a move. */
const SKIP_AT_LEAST = 8;

/** Moves the cursor to a row and column, both counted from 0. */
export function moveTo(row: number, column: number): string {
  return `\x1b[${row + 1};${column + 1}H`;
}

/** A whole line at `row`, what was there before erased first (its width is not known: it may reach the last column). */
export function wholeLine(row: number, raw: string): string {
  return `${moveTo(row, 0)}${ERASE_WHOLE}${raw}${RESET}`;
}

function same(a: Cell, b: Cell): boolean {
  return a.char === b.char && a.style === b.style;
}

/** Cells as the terminal draws them, each style set once, the colours reset after. */
function paint(cells: readonly Cell[]): string {
  let out = '';
  let style = '';
  for (const cell of cells) {
    if (cell.style !== style) out += sgr((style = cell.style));
    out += cell.char;
  }
  return style === '' ? out : `${out}${RESET}`;
}

/** The runs of cells that differ between two lines of one length, runs closer than SKIP_AT_LEAST joined. */
function changedRuns(before: readonly Cell[], after: readonly Cell[]): [number, number][] {
  const runs: [number, number][] = [];
  for (let at = 0; at < after.length; at++) {
    if (same(before[at]!, after[at]!)) continue;
    const last = runs.at(-1);
    if (last !== undefined && at - last[1] < SKIP_AT_LEAST) last[1] = at + 1;
    else runs.push([at, at + 1]);
  }
  return runs;
}

/**
 * What to write so that `row`, showing `before`, shows `after`: only the
 * cells that changed, each run after a cursor move. Every cell of a line
 * that is not opaque is one column wide, so a cell's index is its column. A
 * line whose length changed is written from its first change to its end;
 * an opaque line (or one never drawn) is written whole.
 */
export function lineUpdate(row: number, before: CellLine | undefined, after: CellLine, raw: string): string {
  if (before === undefined || before.opaque || after.opaque) return wholeLine(row, raw);
  const [a, b] = [before.cells, after.cells];
  if (a.length === b.length) {
    return changedRuns(a, b)
      .map(([start, end]) => `${moveTo(row, start)}${paint(b.slice(start, end))}`)
      .join('');
  }
  let start = 0;
  while (start < a.length && start < b.length && same(a[start]!, b[start]!)) start++;
  // A shorter line ends before the last column, since the longer one fitted: erasing after it is safe.
  return `${moveTo(row, start)}${paint(b.slice(start))}${b.length < a.length ? ERASE_REST : ''}`;
}
