import type { Key } from 'ink';

/** The emulator's modes that change what a key sends. */
export interface KeyModes {
  /** DECCKM (`ESC [ ? 1 h`, set by vim, less, readline in some setups): arrows send `ESC O A`, not `ESC [ A`. */
  applicationCursor: boolean;
}

const NORMAL: KeyModes = { applicationCursor: false };

/** Final bytes of the cursor keys, which change form with DECCKM and with modifiers. */
const CURSOR_KEYS: readonly [keyof Key, string][] = [
  ['upArrow', 'A'],
  ['downArrow', 'B'],
  ['rightArrow', 'C'],
  ['leftArrow', 'D'],
  ['home', 'H'],
  ['end', 'F'],
];

/**
 * The bytes a terminal (xterm) sends for a key, from Ink's reading of it: the
 * inverse of Ink's parser, so what reaches the program in the pane is what it
 * would get in a terminal of its own. Undefined for a key with nothing to send.
 *
 * Ink loses a few distinctions on the way in: the Delete key and Backspace
 * both arrive as `delete`, and both send DEL here (what Backspace sends, the
 * key people press); function keys arrive with no name at all.
 */
export function keyBytes(input: string, key: Key, modes: KeyModes = NORMAL): string | undefined {
  const meta = key.meta && !key.escape ? '\x1b' : '';
  if (key.return) return `${meta}\r`;
  if (key.tab) return key.shift ? '\x1b[Z' : '\t';
  if (key.backspace || key.delete) return `${meta}\x7f`;
  // Ink marks every Escape as meta too, so Escape is checked before meta is applied to anything.
  if (key.escape) return '\x1b';
  if (key.pageUp) return withModifiers('5', '~', key);
  if (key.pageDown) return withModifiers('6', '~', key);
  const cursor = CURSOR_KEYS.find(([flag]) => key[flag] === true);
  if (cursor) return cursorKey(cursor[1], key, modes);
  if (input === '') return undefined;
  if (key.ctrl) return `${meta}${controlByte(input)}`;
  return `${meta}${input}`;
}

/** Ctrl with a key: the character's low five bits (Ctrl-C is 0x03, Ctrl-Space, reported as Ctrl-`, is NUL). */
function controlByte(input: string): string {
  const char = input.slice(0, 1).toLowerCase();
  if (char === '?') return '\x7f';
  return String.fromCharCode(char.charCodeAt(0) & 0x1f);
}

/** xterm's modifier parameter: 1 + Shift 1 + Alt 2 + Ctrl 4; 1 means none. */
function modifier(key: Key): number {
  return 1 + (key.shift ? 1 : 0) + (key.meta ? 2 : 0) + (key.ctrl ? 4 : 0);
}

function cursorKey(final: string, key: Key, modes: KeyModes): string {
  const mod = modifier(key);
  if (mod > 1) return `\x1b[1;${mod}${final}`;
  return `${modes.applicationCursor ? '\x1bO' : '\x1b['}${final}`;
}

function withModifiers(code: string, final: string, key: Key): string {
  const mod = modifier(key);
  return mod > 1 ? `\x1b[${code};${mod}${final}` : `\x1b[${code}${final}`;
}
