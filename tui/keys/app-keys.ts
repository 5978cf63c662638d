import { TABS, type TabName } from '../tabs/names.js';
import type { Binding, CommandOf, HelpSection } from './types.js';

/** Where the keyboard is when no tab has it: the tree, a form, the help screen, a question (stop this session?). */
export type AppFocus = 'tree' | 'form' | 'help' | 'confirm';

/** What the app itself does: quitting, focus, the tree, the forms and the help. */
export type AppAction =
  | 'quit'
  | 'help'
  | 'focus-next'
  | 'focus-tree'
  | 'tree-up'
  | 'tree-down'
  | 'open'
  | 'new-session'
  | 'add-workspace'
  | 'stop-session'
  | 'resume-session'
  | 'confirm-yes'
  | 'confirm-no'
  | 'interrupt'
  | 'form-submit'
  | 'form-cancel'
  | 'form-next'
  | 'form-previous'
  | 'form-choice-next'
  | 'form-choice-previous'
  | 'form-erase'
  | 'help-up'
  | 'help-down';

export type AppCommand = CommandOf<'app', AppAction>;
/** The number keys: show a tab and give it the keyboard. */
export type ShowCommand = CommandOf<'show', TabName>;

const app = (action: AppAction): AppCommand => ({ owner: 'app', action });

const TAB_KEYS: readonly Binding<ShowCommand, AppFocus>[] = TABS.map((tab, index) => ({
  keys: [String(index + 1)],
  command: { owner: 'show', action: tab.name },
  where: 'global',
  description: tab.description,
}));

export const APP_BINDINGS: readonly Binding<AppCommand | ShowCommand, AppFocus>[] = [
  { keys: ['q'], command: app('quit'), where: 'global', description: 'quit (sessions keep running in the daemon)' },
  { keys: ['?'], command: app('help'), where: 'global', description: 'show or hide this help' },
  {
    keys: ['tab'],
    command: app('focus-next'),
    where: 'global',
    description: 'move focus between the tree and the pane',
  },
  ...TAB_KEYS,
  {
    keys: ['i'],
    command: app('interrupt'),
    where: 'global',
    description: 'interrupt the running turn of the selected session',
  },
  { keys: ['up', 'k'], command: app('tree-up'), where: 'tree', description: 'previous item' },
  { keys: ['down', 'j'], command: app('tree-down'), where: 'tree', description: 'next item' },
  {
    keys: ['enter'],
    command: app('open'),
    where: 'tree',
    description: 'open the item (a session its events, a terminal its screen)',
  },
  { keys: ['n'], command: app('new-session'), where: 'tree', description: 'new session in the selected workspace' },
  { keys: ['a'], command: app('add-workspace'), where: 'tree', description: 'add a workspace by path' },
  { keys: ['x'], command: app('stop-session'), where: 'tree', description: 'stop the selected session (asks y)' },
  { keys: ['r'], command: app('resume-session'), where: 'tree', description: 'resume the selected stopped session' },
  { keys: ['y'], command: app('confirm-yes'), where: 'confirm', description: 'yes: stop the session' },
  {
    keys: ['n', 'escape', 'q'],
    command: app('confirm-no'),
    where: 'confirm',
    description: 'no: keep it running (so does any other key)',
  },
  { keys: ['escape'], command: app('form-cancel'), where: 'form', description: 'cancel the form' },
  { keys: ['enter'], command: app('form-submit'), where: 'form', description: 'submit the form' },
  { keys: ['tab', 'down'], command: app('form-next'), where: 'form', description: 'next field (what you typed stays)' },
  { keys: ['shift+tab', 'up'], command: app('form-previous'), where: 'form', description: 'previous field' },
  { keys: ['right'], command: app('form-choice-next'), where: 'form', description: 'next choice (provider)' },
  { keys: ['left'], command: app('form-choice-previous'), where: 'form', description: 'previous choice' },
  { keys: ['backspace'], command: app('form-erase'), where: 'form', description: 'delete the last character' },
  { keys: ['escape', '?', 'q'], command: app('help'), where: 'help', description: 'close the help' },
  {
    keys: ['down', 'j'],
    command: app('help-down'),
    where: 'help',
    description: 'scroll down, when the help does not fit',
  },
  { keys: ['up', 'k'], command: app('help-up'), where: 'help', description: 'scroll up' },
];

/** The app's sections of the help: the global keys and the tree first, forms and the help itself last. */
export const APP_SECTIONS_FIRST: readonly HelpSection<AppFocus>[] = [
  { where: 'global', title: 'Everywhere' },
  { where: 'tree', title: 'Tree' },
];
export const APP_SECTIONS_LAST: readonly HelpSection<AppFocus>[] = [
  { where: 'confirm', title: 'Stop: confirm' },
  { where: 'form', title: 'Forms' },
  { where: 'help', title: 'This screen' },
];
