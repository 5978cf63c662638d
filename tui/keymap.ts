import type { Key } from 'ink';
import { CHECKS_BINDINGS, CHECKS_SECTIONS, type ChecksAction, type ChecksFocus } from './tabs/checks/keys.js';
import { DIFF_BINDINGS, DIFF_SECTIONS, type DiffAction, type DiffFocus } from './tabs/diff/keys.js';
import { FILES_BINDINGS, FILES_SECTIONS, type FilesAction, type FilesFocus } from './tabs/files/keys.js';
import { TERMINAL_BINDINGS, TERMINAL_SECTIONS, type TerminalAction, type TerminalFocus } from './tabs/terminal/keys.js';
import type { Binding, HelpSection } from './keys/types.js';

export type { Binding } from './keys/types.js';

type CoreFocus = 'tree' | 'events' | 'chat' | 'form' | 'help';

/** Where the keyboard is: the tree, a tab (or one of its modes), a form or the help screen. */
export type Focus = CoreFocus | FilesFocus | DiffFocus | ChecksFocus | TerminalFocus;

/** Where the keyboard takes typed text (or raw keys): global keys do not apply and a paste stays one key. */
const TYPING: ReadonlySet<Focus> = new Set<Focus>(['chat', 'form', 'editor', 'comment', 'terminal']);

/** Where a paste of several lines stays one piece of text (elsewhere Enter in it sends or submits). */
export function takesLines(focus: Focus): boolean {
  return focus === 'chat' || focus === 'editor';
}

/** Whether typed text goes to an input where the focus is. */
export function isTyping(focus: Focus): boolean {
  return TYPING.has(focus);
}

/** Global keys apply except where text is typed and on the help screen, which only its own keys close. */
function takesGlobalKeys(focus: Focus): boolean {
  return !TYPING.has(focus) && focus !== 'help';
}

type CoreAction =
  | 'quit'
  | 'help'
  | 'focus-next'
  | 'focus-tree'
  | 'tab-events'
  | 'tab-chat'
  | 'tab-files'
  | 'tab-diff'
  | 'tab-checks'
  | 'tab-terminal'
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'top'
  | 'bottom'
  | 'open'
  | 'new-session'
  | 'add-workspace'
  | 'interrupt'
  | 'stop-session'
  | 'toggle-output'
  | 'event-diff'
  | 'send'
  | 'newline'
  | 'cancel';

export type Action = CoreAction | FilesAction | DiffAction | ChecksAction | TerminalAction;

const CORE_BINDINGS: readonly Binding<CoreAction, CoreFocus>[] = [
  { keys: ['q'], action: 'quit', where: 'global', description: 'quit (sessions keep running in the daemon)' },
  { keys: ['?'], action: 'help', where: 'global', description: 'show or hide this help' },
  { keys: ['tab'], action: 'focus-next', where: 'global', description: 'move focus between the tree and the pane' },
  { keys: ['1'], action: 'tab-events', where: 'global', description: 'Events tab' },
  { keys: ['2'], action: 'tab-chat', where: 'global', description: 'Chat tab (type a message)' },
  { keys: ['3'], action: 'tab-files', where: 'global', description: 'Files tab' },
  { keys: ['4'], action: 'tab-diff', where: 'global', description: 'Diff tab' },
  { keys: ['5'], action: 'tab-checks', where: 'global', description: 'Checks tab' },
  { keys: ['6'], action: 'tab-terminal', where: 'global', description: 'Terminal tab' },
  { keys: ['up', 'k'], action: 'up', where: 'tree', description: 'previous item' },
  { keys: ['down', 'j'], action: 'down', where: 'tree', description: 'next item' },
  {
    keys: ['enter'],
    action: 'open',
    where: 'tree',
    description: 'open the item (a session its events, a terminal its screen)',
  },
  { keys: ['n'], action: 'new-session', where: 'tree', description: 'new session in the selected workspace' },
  { keys: ['a'], action: 'add-workspace', where: 'tree', description: 'add a workspace by path' },
  {
    keys: ['i'],
    action: 'interrupt',
    where: 'global',
    description: 'interrupt the running turn of the selected session',
  },
  { keys: ['x'], action: 'stop-session', where: 'tree', description: 'stop the selected session' },
  { keys: ['up', 'k'], action: 'up', where: 'events', description: 'scroll up (stops following the tail)' },
  { keys: ['down', 'j'], action: 'down', where: 'events', description: 'scroll down' },
  { keys: ['pageup'], action: 'page-up', where: 'events', description: 'page up' },
  { keys: ['pagedown', 'space'], action: 'page-down', where: 'events', description: 'page down' },
  { keys: ['g', 'home'], action: 'top', where: 'events', description: 'oldest event' },
  { keys: ['G', 'end'], action: 'bottom', where: 'events', description: 'newest event, and follow the tail' },
  { keys: ['o'], action: 'toggle-output', where: 'events', description: 'show all of every command output, or less' },
  {
    keys: ['enter'],
    action: 'event-diff',
    where: 'events',
    description: 'diff of the file change marked ⏎ (the lowest on screen)',
  },
  { keys: ['enter'], action: 'send', where: 'chat', description: 'send the message (queued if a turn is running)' },
  { keys: ['ctrl+j', 'meta+enter'], action: 'newline', where: 'chat', description: 'new line in the message' },
  { keys: ['ctrl+c'], action: 'interrupt', where: 'chat', description: 'interrupt the running turn' },
  { keys: ['escape'], action: 'focus-tree', where: 'chat', description: 'leave the message box' },
  { keys: ['escape'], action: 'cancel', where: 'form', description: 'cancel the form' },
  { keys: ['enter'], action: 'send', where: 'form', description: 'submit the form' },
  { keys: ['escape', '?', 'q'], action: 'help', where: 'help', description: 'close the help' },
  { keys: ['down', 'j'], action: 'down', where: 'help', description: 'scroll down, when the help does not fit' },
  { keys: ['up', 'k'], action: 'up', where: 'help', description: 'scroll up' },
];

/**
 * Every key the TUI understands, in one table: the dispatcher routes by it and
 * the help screen is drawn from it, so the help cannot disagree with the keys.
 */
export const BINDINGS: readonly Binding<Action, Focus>[] = [
  ...CORE_BINDINGS,
  ...FILES_BINDINGS,
  ...DIFF_BINDINGS,
  ...CHECKS_BINDINGS,
  ...TERMINAL_BINDINGS,
];

/** The help screen's sections, in order. */
export const HELP_SECTIONS: readonly HelpSection<Focus>[] = [
  { where: 'global', title: 'Everywhere' },
  { where: 'tree', title: 'Tree' },
  { where: 'events', title: 'Events' },
  { where: 'chat', title: 'Chat' },
  ...FILES_SECTIONS,
  ...DIFF_SECTIONS,
  ...CHECKS_SECTIONS,
  ...TERMINAL_SECTIONS,
  { where: 'form', title: 'Forms' },
  { where: 'help', title: 'This screen' },
];

/** A canonical name for a key press: `q`, `G`, `?`, `enter`, `ctrl+c`, `meta+enter`, `up`, `pagedown`... */
export function keyName(input: string, key: Key): string {
  const base = key.return
    ? 'enter'
    : key.upArrow
      ? 'up'
      : key.downArrow
        ? 'down'
        : key.leftArrow
          ? 'left'
          : key.rightArrow
            ? 'right'
            : key.pageUp
              ? 'pageup'
              : key.pageDown
                ? 'pagedown'
                : key.home
                  ? 'home'
                  : key.end
                    ? 'end'
                    : key.escape
                      ? 'escape'
                      : key.tab
                        ? 'tab'
                        : key.backspace || key.delete
                          ? 'backspace'
                          : input === ' '
                            ? 'space'
                            : input === '\n'
                              ? 'ctrl+j'
                              : input;
  if (key.ctrl && base.length === 1) return `ctrl+${base.toLowerCase()}`;
  // Ctrl-\ Ctrl-] Ctrl-^ Ctrl-_ reach Ink as their bare control bytes, with no flag set.
  if (base.length === 1 && base >= '\u001c' && base <= '\u001f') return `ctrl+${controlLetter(base)}`;
  if (key.meta && base === 'enter') return 'meta+enter';
  if (key.shift && base === 'tab') return 'shift+tab';
  return base;
}

/** The action a key means where the focus is: the focused context first, then the global bindings. */
export function actionFor(name: string, focus: Focus): Action | undefined {
  const local = BINDINGS.find((binding) => binding.where === focus && binding.keys.includes(name));
  if (local) return local.action;
  if (!takesGlobalKeys(focus)) return undefined;
  return BINDINGS.find((binding) => binding.where === 'global' && binding.keys.includes(name))?.action;
}

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
