import type { Key } from 'ink';

/** A key with no flag set: a plain character. */
export const NO_FLAGS: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** Ink's flags for the keys that have a name, in the order they are tested (Enter before the arrows...). */
const NAMED_FLAGS: readonly (readonly [keyof Key, string])[] = [
  ['return', 'enter'],
  ['upArrow', 'up'],
  ['downArrow', 'down'],
  ['leftArrow', 'left'],
  ['rightArrow', 'right'],
  ['pageUp', 'pageup'],
  ['pageDown', 'pagedown'],
  ['home', 'home'],
  ['end', 'end'],
  ['escape', 'escape'],
  ['tab', 'tab'],
  ['backspace', 'backspace'],
  ['delete', 'backspace'],
];

/** Characters that arrive as themselves but have a name: a bare line feed is what Ctrl-J sends. */
const NAMED_INPUT: Readonly<Record<string, string>> = { ' ': 'space', '\n': 'ctrl+j' };

/** A canonical name for a key press: `q`, `G`, `?`, `enter`, `ctrl+c`, `meta+enter`, `up`, `pagedown`... */
export function keyName(input: string, key: Key): string {
  const base = NAMED_FLAGS.find(([flag]) => key[flag])?.[1] ?? NAMED_INPUT[input] ?? input;
  if (key.ctrl && base.length === 1) return `ctrl+${base.toLowerCase()}`;
  // Ctrl-\ Ctrl-] Ctrl-^ Ctrl-_ reach Ink as their bare control bytes, with no flag set.
  if (base.length === 1 && base >= '\u001c' && base <= '\u001f') return `ctrl+${controlLetter(base)}`;
  if (key.meta && base === 'enter') return 'meta+enter';
  if (key.shift && base === 'tab') return 'shift+tab';
  return base;
}

/** The key Ctrl is held with to type a control character: a for \x01, ] for \x1d. */
function controlLetter(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 26 ? String.fromCharCode(code + 96) : String.fromCharCode(code + 64);
}

/** A C0 control character or DEL: Enter, Tab, Backspace, Ctrl-letter. */
function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 32 || code === 127;
}

/**
 * The first key of what the terminal delivered in one read, and the rest.
 * Ink splits escape sequences but hands over plain bytes typed faster than
 * they are read as one string ("jjj", "2hello", "hi\r", "\tthird one"). A
 * control character is a key of its own; text is one key while typing into a
 * message or a form (a paste stays one), one key per character elsewhere.
 * With `pastedLines`, a line break with more text after it in the same read
 * is a paste of several lines, kept in the text as "\n": a fast typist's
 * "hi\r" still ends with Enter, but a pasted paragraph is not sent line by line.
 * `key` is Ink's reading of the whole input, or undefined for a rest.
 */
export function firstKey(
  input: string,
  key: Key | undefined,
  typing: boolean,
  pastedLines = false,
): { input: string; key: Key; rest: string } {
  if (key !== undefined && (input.length <= 1 || key.ctrl || key.meta)) return { input, key, rest: '' };
  const char = input.slice(0, 1);
  if (isControl(char) || !typing) return { ...charKey(char), rest: input.slice(1) };
  let text = '';
  let at = 0;
  for (;;) {
    while (at < input.length && !isControl(input[at]!)) text += input[at++];
    const lineBreak = pastedLines ? lineBreakAt(input, at) : 0;
    if (lineBreak === 0 || at + lineBreak >= input.length || isControl(input[at + lineBreak]!)) break;
    text += '\n';
    at += lineBreak;
  }
  return { input: text, key: text.length === 1 ? charKey(text).key : NO_FLAGS, rest: input.slice(at) };
}

/** The length of the line break at `at` (`\r\n`, `\r` or `\n`), or 0. */
function lineBreakAt(input: string, at: number): number {
  if (input.startsWith('\r\n', at)) return 2;
  return input[at] === '\r' || input[at] === '\n' ? 1 : 0;
}

/** A character as Ink reports it when it arrives alone. */
function charKey(char: string): { input: string; key: Key } {
  if (char === '\r') return { input: '\r', key: { ...NO_FLAGS, return: true } };
  if (char === '\t') return { input: '', key: { ...NO_FLAGS, tab: true } };
  if (char === '\u007f' || char === '\b') return { input: '', key: { ...NO_FLAGS, backspace: true } };
  const code = char.charCodeAt(0);
  if (code >= 0x1c && code <= 0x1f) return { input: char, key: NO_FLAGS };
  if (char !== '\n' && code < 32) return { input: controlLetter(char), key: { ...NO_FLAGS, ctrl: true } };
  return { input: char, key: { ...NO_FLAGS, shift: /^[A-Z]$/.test(char) } };
}
