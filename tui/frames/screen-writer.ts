import { type CellLine, readCells } from './cells.js';
import { lineUpdate, moveTo, wholeLine } from './line-diff.js';

/** Where frames are drawn: the real terminal, or a test's. */
export interface Terminal {
  write: (data: string) => void;
  readonly columns: number;
  readonly rows: number;
}

/** The alternate screen: the TUI draws on a page of its own, and leaving it gives back the user's screen and scrollback as they were. */
export const ENTER_ALTERNATE = '\x1b[?1049h';
export const LEAVE_ALTERNATE = '\x1b[?1049l';
export const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';
/**
 * Autowrap off while the TUI draws: a line wider than the terminal (Ink's frame
 * just after a resize, laid out for the old width) is cut at the edge instead
 * of wrapping, and wrapping on the last row would scroll the whole screen up.
 */
export const NO_WRAP = '\x1b[?7l';
export const WRAP = '\x1b[?7h';
/** Synchronized output (mode 2026): a terminal that knows it shows the frame at once; others ignore it. */
export const BEGIN_FRAME = '\x1b[?2026h';
export const END_FRAME = '\x1b[?2026l';
/** Erases from the cursor to the end of the screen: below the last row a shorter frame has. */
const ERASE_BELOW = '\x1b[0m\x1b[J';

/** A line's cells up to the terminal's edge: what is beyond is not on the screen to be compared. */
function clipped(line: CellLine, columns: number): CellLine {
  return line.cells.length <= columns ? line : { ...line, cells: line.cells.slice(0, columns) };
}

/** A row as drawn; its cells are read only when a later frame changes it (a whole frame needs none). */
interface Row {
  raw: string;
  cells?: CellLine;
}

/**
 * Draws Ink's frames (whole, as strings) on the alternate screen, writing
 * only the cells that changed since the frame before: a key that moves the
 * tree's selection writes a few hundred bytes, an idle screen nothing. The
 * screen is never cleared after the first frame; a repaint (after a resize,
 * or after the screen was lent to a program) rewrites every row instead.
 */
export class ScreenWriter {
  /** What each row of the screen shows now. */
  private shown: Row[] = [];
  /** The newest frame's lines, drawn or not. */
  private latest: string[] = [];
  /** The next draw rewrites every row (the screen's content is not known). */
  private whole = true;
  private paused = false;
  private opened = false;
  /** On the alternate screen: a frame was drawn there since open(). */
  private entered = false;
  /** Written before the next frame: taking the terminal, in the same write as the frame it shows. */
  private prefix = '';

  constructor(private readonly terminal: Terminal) {}

  /** Takes the terminal: the alternate screen, the cursor hidden. Again after a program had it: it may have left both. */
  open(): void {
    this.opened = true;
    this.paused = false;
    this.whole = true;
    this.prefix = ENTER_ALTERNATE + HIDE_CURSOR + NO_WRAP;
    this.draw();
  }

  /** Gives the terminal back as it was: the cursor shown, the user's own screen and scrollback. */
  close(): void {
    this.opened = false;
    // Never taken (no frame came): nothing to give back.
    if (!this.entered) return;
    this.entered = false;
    this.terminal.write(WRAP + SHOW_CURSOR + LEAVE_ALTERNATE);
  }

  /** Lends the terminal to someone else: frames are kept, not drawn, until open() again. */
  pause(): void {
    this.paused = true;
  }

  /** The terminal changed size: what it shows can no longer be trusted, the next frame is drawn whole. */
  resized(): void {
    this.whole = true;
  }

  /** A frame from Ink: its lines, joined by newlines. */
  frame(text: string): void {
    this.latest = text.split('\n');
    this.draw();
  }

  /**
   * A row's cells, read the first time they are compared. The first frame
   * (and every repaint) is written whole, so it reads none: reading the 30
   * rows of a first frame cost 10-20 ms of CPU with the code still cold.
   */
  private cellsOf(row: Row): CellLine {
    return (row.cells ??= clipped(readCells(row.raw), this.terminal.columns));
  }

  private draw(): void {
    if (!this.opened || this.paused || this.latest.length === 0) return;
    const rows = Math.min(this.latest.length, this.terminal.rows);
    let out = '';
    for (let row = 0; row < rows; row++) {
      const raw = this.latest[row]!;
      const before = this.shown[row];
      if (!this.whole && before?.raw === raw) continue;
      const drawn: Row = { raw };
      out += this.whole
        ? wholeLine(row, raw)
        : lineUpdate(row, before && this.cellsOf(before), this.cellsOf(drawn), raw);
      this.shown[row] = drawn;
    }
    const below = rows < this.terminal.rows && (this.whole || this.shown.length > rows);
    if (below) out += moveTo(rows, 0) + ERASE_BELOW;
    this.shown.length = rows;
    this.whole = false;
    if (out === '') return;
    this.terminal.write(`${this.prefix}${BEGIN_FRAME}${out}${END_FRAME}`);
    this.prefix = '';
    this.entered = true;
  }
}
