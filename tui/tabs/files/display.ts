/**
 * How a line of a file is drawn: tabs become spaces up to the next stop and
 * control characters a visible mark, since either written raw to the terminal
 * would move the cursor and break the frame.
 */

const TAB = 4;

/** The display column (in cells, wide characters not considered) where `col` of `text` is drawn. */
export function displayColumn(text: string, col: number): number {
  return expand(text.slice(0, col)).length;
}

/** The line as drawn. */
export function expand(text: string): string {
  if (!hasControl(text)) return text;
  let out = '';
  for (const char of text) {
    if (char === '\t') out += ' '.repeat(TAB - (out.length % TAB));
    else out += isControl(char.charCodeAt(0)) ? '·' : char;
  }
  return out;
}

/** `count` cells of the drawn line from cell `from`, without half of a surrogate pair at either end. */
export function cells(drawn: string, from: number, count: number): string {
  const part = drawn.slice(from, from + count);
  const start = isLow(part.charCodeAt(0)) ? 1 : 0;
  const end = part.length > 0 && isHigh(part.charCodeAt(part.length - 1)) ? part.length - 1 : part.length;
  return part.slice(start, end);
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** How many digits the biggest line number takes. */
export function gutterWidth(lines: number): number {
  return Math.max(2, String(lines).length);
}

function isControl(code: number): boolean {
  return code < 32 || code === 127;
}

function hasControl(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (isControl(text.charCodeAt(index))) return true;
  return false;
}
