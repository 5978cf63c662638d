/**
 * A line of a frame as Ink draws it (text with SGR colour sequences), read
 * into cells: one character each, with the style it is drawn in. Only what
 * Ink writes is understood; a line holding anything else (another escape
 * sequence, a character whose width in a terminal is not surely one column)
 * is `opaque`: it is redrawn whole when it changes, never cell by cell.
 */
export interface Cell {
  char: string;
  /** The SGR parameters in effect, in a canonical order (`1;36`), '' for none. */
  style: string;
}

export interface CellLine {
  cells: Cell[];
  opaque: boolean;
}

/** The attributes one SGR parameter sets, each in its own slot, and the parameters that clear them. */
const SLOT_OF: Readonly<Record<string, string>> = {
  '1': 'bold',
  '2': 'dim',
  '3': 'italic',
  '4': 'underline',
  '5': 'blink',
  '7': 'inverse',
  '8': 'hidden',
  '9': 'strike',
  '53': 'overline',
};
const CLEARS: Readonly<Record<string, readonly string[]>> = {
  '22': ['bold', 'dim'],
  '23': ['italic'],
  '24': ['underline'],
  '25': ['blink'],
  '27': ['inverse'],
  '28': ['hidden'],
  '29': ['strike'],
  '39': ['fg'],
  '49': ['bg'],
  '55': ['overline'],
};
const SLOTS = ['bold', 'dim', 'italic', 'underline', 'blink', 'inverse', 'hidden', 'strike', 'overline', 'fg', 'bg'];

/**
 * Code points a terminal surely draws one column wide: ASCII, Latin, Greek
 * and Cyrillic letters, general punctuation (… ‹ › •), arrows, box drawing,
 * blocks, geometric shapes (● ○ ▶ ▸) but the two wide ones, and the few
 * symbols the TUI draws (⏎ ✓ ✗ ☐ ☑).
 */
const NARROW: readonly (readonly [number, number])[] = [
  [0x20, 0x7e],
  [0xa0, 0xac],
  [0xae, 0x2ff],
  [0x370, 0x482],
  [0x48a, 0x52f],
  [0x2010, 0x2027],
  [0x2030, 0x205e],
  [0x2190, 0x21ff],
  [0x23ce, 0x23ce],
  [0x2500, 0x25fc],
  [0x25ff, 0x25ff],
  [0x2610, 0x2611],
  [0x2713, 0x2718],
];

function isNarrow(codePoint: number): boolean {
  return NARROW.some(([low, high]) => codePoint >= low && codePoint <= high);
}

/** Applies one SGR sequence's parameters to the style slots; false when one is not understood. */
function applySgr(slots: Map<string, string>, parameters: string): boolean {
  const list = parameters === '' ? ['0'] : parameters.split(';');
  for (let index = 0; index < list.length; index++) {
    const code = list[index]!;
    const number = Number(code);
    if (code === '0') slots.clear();
    else if (SLOT_OF[code]) slots.set(SLOT_OF[code], code);
    else if (CLEARS[code]) for (const slot of CLEARS[code]) slots.delete(slot);
    else if ((number >= 30 && number <= 37) || (number >= 90 && number <= 97)) slots.set('fg', code);
    else if ((number >= 40 && number <= 47) || (number >= 100 && number <= 107)) slots.set('bg', code);
    else if (code === '38' || code === '48') {
      // 38;5;N or 38;2;R;G;B: an extended colour takes the parameters after it.
      const length = list[index + 1] === '5' ? 2 : list[index + 1] === '2' ? 4 : 0;
      if (length === 0) return false;
      slots.set(code === '38' ? 'fg' : 'bg', list.slice(index, index + 1 + length).join(';'));
      index += length;
    } else return false;
  }
  return true;
}

function styleOf(slots: Map<string, string>): string {
  return SLOTS.flatMap((slot) => {
    const value = slots.get(slot);
    return value === undefined ? [] : [value];
  }).join(';');
}

/** The SGR sequence that draws `style` from any state. */
export function sgr(style: string): string {
  return style === '' ? '\x1b[0m' : `\x1b[0;${style}m`;
}

// eslint-disable-next-line no-control-regex -- the escape sequences Ink writes are what is read here
const SGR_SEQUENCE = /^\x1b\[([0-9;]*)m/;

/** Reads a line of Ink's output into cells. */
export function readCells(line: string): CellLine {
  const cells: Cell[] = [];
  const slots = new Map<string, string>();
  let style = '';
  let opaque = false;
  let at = 0;
  while (at < line.length) {
    if (line[at] === '\x1b') {
      const sequence = SGR_SEQUENCE.exec(line.slice(at, at + 64));
      if (sequence === null || !applySgr(slots, sequence[1]!)) return { cells, opaque: true };
      style = styleOf(slots);
      at += sequence[0].length;
      continue;
    }
    const codePoint = line.codePointAt(at)!;
    const char = String.fromCodePoint(codePoint);
    if (!isNarrow(codePoint)) opaque = true;
    cells.push({ char, style });
    at += char.length;
  }
  return { cells, opaque };
}
