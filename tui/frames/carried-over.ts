/**
 * What Ink's Output keeps from one frame to the next in the bundle
 * (scripts/bundle-tui.mjs rewrites ink/build/output.js to use these). Ink
 * makes a new Output, with new caches, for every frame, so every frame
 * tokenized every line it draws into one styled object per character, and
 * turned every row of those back into a string, although most of the screen
 * is what the frame before drew: while a session streams, that was a fifth of
 * the TUI's CPU and most of its garbage. The styled characters Ink makes are
 * never changed once made, which is what lets a later frame use them again.
 */

/**
 * A cache of the recent entries: up to `limit` of the newest, and those of
 * the `limit` before them that are asked for again. Whatever a frame drew is
 * there for the next one, and the memory stays bounded while a session
 * streams lines that are never drawn twice.
 */
export class CarriedMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const found = this.current.get(key);
    if (found !== undefined) return found;
    const older = this.previous.get(key);
    if (older !== undefined) this.set(key, older);
    return older;
  }

  set(key: K, value: V): this {
    if (this.current.size >= this.limit) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
    return this;
  }
}

/** Entries each of Ink's caches keeps (the lines of a few 100×30 frames; a line's characters are ~6 KB). */
export const CARRIED_ENTRIES = 500;

/** An empty cell, as Ink fills its grid with before drawing: one object for all, never changed. */
export const BLANK_CELL = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) });

/**
 * Each row's text, made again only when one of its cells is another object
 * than in the row of the same place the last time: with the styled
 * characters carried over, a row the frame did not change has the same ones.
 */
export class RowTexts<Cell> {
  private last: { cells: readonly (Cell | undefined)[]; text: string }[] = [];

  constructor(private readonly toText: (cells: Cell[]) => string) {}

  text(y: number, cells: readonly (Cell | undefined)[]): string {
    const before = this.last[y];
    if (before !== undefined && sameCells(before.cells, cells)) return before.text;
    const text = this.toText(cells.filter((cell): cell is Cell => cell !== undefined));
    this.last[y] = { cells, text };
    return text;
  }
}

function sameCells<Cell>(a: readonly Cell[], b: readonly Cell[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}
