import { APP_BINDINGS, APP_SECTIONS_FIRST, APP_SECTIONS_LAST, type AppAction, type AppFocus } from './keys/app-keys.js';
import type { Binding, HelpSection } from './keys/types.js';
import { CHAT_BINDINGS, CHAT_SECTIONS, type ChatAction, type ChatFocus } from './tabs/chat/keys.js';
import { DATA_BINDINGS, DATA_SECTIONS, type DataAction, type DataFocus } from './tabs/data/keys.js';
import { CHECKS_BINDINGS, CHECKS_SECTIONS, type ChecksAction, type ChecksFocus } from './tabs/checks/keys.js';
import { DIFF_BINDINGS, DIFF_SECTIONS, type DiffAction, type DiffFocus } from './tabs/diff/keys.js';
import { EVENTS_BINDINGS, EVENTS_SECTIONS, type EventsAction, type EventsFocus } from './tabs/events/keys.js';
import { FILES_BINDINGS, FILES_SECTIONS, type FilesAction, type FilesFocus } from './tabs/files/keys.js';
import type { TabName } from './tabs/names.js';
import { TERMINAL_BINDINGS, TERMINAL_SECTIONS, type TerminalAction, type TerminalFocus } from './tabs/terminal/keys.js';

export { firstKey, keyName, NO_FLAGS } from './keys/read-keys.js';

/** Where the keyboard is: the tree, a tab (or one of its modes), a form or the help screen. */
export type Focus =
  AppFocus | EventsFocus | ChatFocus | FilesFocus | DiffFocus | ChecksFocus | TerminalFocus | DataFocus;

/** Every owner of actions, with the actions it takes: the app, the number keys, and each tab. */
export interface Actions {
  app: AppAction;
  show: TabName;
  events: EventsAction;
  chat: ChatAction;
  files: FilesAction;
  diff: DiffAction;
  checks: ChecksAction;
  terminal: TerminalAction;
  data: DataAction;
}

export type Owner = keyof Actions;

/** A key's meaning as a value: an owner and one of its actions. */
export type Command<O extends Owner = Owner> = { [K in O]: { owner: K; action: Actions[K] } }[O];

/** The one dispatch table: how each owner runs its actions. */
export type Performers = { [K in Owner]: (action: Actions[K]) => void };

/** Hands a command to its owner. */
export function dispatch<O extends Owner>(performers: Performers, command: Command<O>): void {
  performers[command.owner](command.action);
}

/** Where the keyboard takes typed text (or raw keys): global keys do not apply and a paste stays one key. */
const TYPING: ReadonlySet<Focus> = new Set<Focus>(['chat', 'form', 'editor', 'comment', 'terminal', 'data-query']);

/** Where a paste of several lines stays one piece of text (elsewhere Enter in it sends or submits). */
export function takesLines(focus: Focus): boolean {
  return focus === 'chat' || focus === 'editor';
}

/** Whether typed text goes to an input where the focus is. */
export function isTyping(focus: Focus): boolean {
  return TYPING.has(focus);
}

/** Global keys apply except where text is typed, on the help screen (only its own keys close it) and at a question. */
function takesGlobalKeys(focus: Focus): boolean {
  return !TYPING.has(focus) && focus !== 'help' && focus !== 'confirm';
}

/**
 * Every key the TUI understands, in one table: the dispatcher routes by it and
 * the help screen is drawn from it, so the help cannot disagree with the keys.
 */
export const BINDINGS: readonly Binding<Command, Focus>[] = [
  ...APP_BINDINGS,
  ...EVENTS_BINDINGS,
  ...CHAT_BINDINGS,
  ...FILES_BINDINGS,
  ...DIFF_BINDINGS,
  ...CHECKS_BINDINGS,
  ...TERMINAL_BINDINGS,
  ...DATA_BINDINGS,
];

/** The help screen's sections, in order. */
export const HELP_SECTIONS: readonly HelpSection<Focus>[] = [
  ...APP_SECTIONS_FIRST,
  ...EVENTS_SECTIONS,
  ...CHAT_SECTIONS,
  ...FILES_SECTIONS,
  ...DIFF_SECTIONS,
  ...CHECKS_SECTIONS,
  ...TERMINAL_SECTIONS,
  ...DATA_SECTIONS,
  ...APP_SECTIONS_LAST,
];

/** What a key means where the focus is: the focused context first, then the global bindings. */
export function commandFor(name: string, focus: Focus): Command | undefined {
  const local = BINDINGS.find((binding) => binding.where === focus && binding.keys.includes(name));
  if (local) return local.command;
  if (!takesGlobalKeys(focus)) return undefined;
  return BINDINGS.find((binding) => binding.where === 'global' && binding.keys.includes(name))?.command;
}
