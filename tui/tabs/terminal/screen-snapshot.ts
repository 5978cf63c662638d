import type { IBufferCell, Terminal } from '@xterm/headless';

/** A stretch of cells in one style, as Ink's `<Text>` draws it. */
export interface Run {
  text: string;
  color?: string;
  backgroundColor?: string;
  bold?: boolean;
  dimColor?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

/** What the pane draws: the emulator's visible rows as styled runs. */
export interface ScreenSnapshot {
  rows: Run[][];
}

/** The 16 ANSI colours by the names chalk (and so Ink) knows them. */
const PALETTE = [
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'blackBright',
  'redBright',
  'greenBright',
  'yellowBright',
  'blueBright',
  'magentaBright',
  'cyanBright',
  'whiteBright',
];

/** A colour as Ink takes it: a name for the 16, `ansi256(n)` for the rest of the palette, `#rrggbb` for true colour. */
function colour(palette: boolean, rgb: boolean, value: number): string | undefined {
  if (palette) return value < 16 ? PALETTE[value] : `ansi256(${value})`;
  if (rgb) return `#${value.toString(16).padStart(6, '0')}`;
  return undefined;
}

function styleOf(cell: IBufferCell): Omit<Run, 'text'> {
  const style: Omit<Run, 'text'> = {};
  const fg = colour(cell.isFgPalette(), cell.isFgRGB(), cell.getFgColor());
  const bg = colour(cell.isBgPalette(), cell.isBgRGB(), cell.getBgColor());
  if (fg) style.color = fg;
  if (bg) style.backgroundColor = bg;
  if (cell.isBold()) style.bold = true;
  if (cell.isDim()) style.dimColor = true;
  if (cell.isItalic()) style.italic = true;
  if (cell.isUnderline()) style.underline = true;
  if (cell.isInverse()) style.inverse = true;
  return style;
}

function sameStyle(a: Omit<Run, 'text'>, b: Omit<Run, 'text'>): boolean {
  return (
    a.color === b.color &&
    a.backgroundColor === b.backgroundColor &&
    a.bold === b.bold &&
    a.dimColor === b.dimColor &&
    a.italic === b.italic &&
    a.underline === b.underline &&
    a.inverse === b.inverse
  );
}

/**
 * One row of the emulator as runs of equal style. The cursor's cell, at
 * `cursorX` (-1 when not on this row), is a run of its own, drawn inverted.
 * Trailing blank cells in the default style are left out (Ink pads the line),
 * which keeps frames small.
 */
function rowRuns(terminal: Terminal, y: number, cursorX: number, cell: IBufferCell): Run[] {
  const line = terminal.buffer.active.getLine(y);
  if (!line) return [];
  const runs: Run[] = [];
  let joinable = false;
  for (let x = 0; x < terminal.cols; x++) {
    const current = line.getCell(x, cell);
    // The cell after a wide character is its second half: it has no text of its own.
    if (!current || current.getWidth() === 0) continue;
    const text = current.getChars() || ' ';
    const style = styleOf(current);
    const last = runs.at(-1);
    if (x === cursorX) {
      runs.push({ text, ...style, inverse: !style.inverse });
      joinable = false;
    } else if (last && joinable && sameStyle(last, style)) {
      last.text += text;
    } else {
      runs.push({ text, ...style });
      joinable = true;
    }
  }
  const last = runs.at(-1);
  if (last && joinable && Object.keys(last).length === 1) {
    last.text = last.text.trimEnd();
    if (last.text === '') runs.pop();
  }
  return runs;
}

/** The emulator's viewport (the newest screenful), ready to draw; with `cursor`, its cursor cell inverted. */
export function snapshot(terminal: Terminal, cursor = false): ScreenSnapshot {
  const buffer = terminal.buffer.active;
  const cell = buffer.getNullCell();
  const cursorY = buffer.baseY + buffer.cursorY - buffer.viewportY;
  const rows: Run[][] = [];
  for (let y = 0; y < terminal.rows; y++) {
    rows.push(rowRuns(terminal, buffer.viewportY + y, cursor && y === cursorY ? buffer.cursorX : -1, cell));
  }
  return { rows };
}

/** The snapshot as plain text, one line per row: for tests and for a screen reader's eyes. */
export function snapshotText(screen: ScreenSnapshot): string {
  return screen.rows.map((runs) => runs.map((run) => run.text).join('')).join('\n');
}
