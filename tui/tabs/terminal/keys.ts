import type { AppCommand } from '../../keys/app-keys.js';
import type { Binding, CommandOf, HelpSection } from '../../keys/types.js';

/**
 * The Terminal tab with the keyboard: `terminal` while a running program is
 * shown (every key goes to it, but the leave key), `terminal-idle` when there
 * is none or it has ended (the app's own keys work again).
 */
export type TerminalFocus = 'terminal' | 'terminal-idle';

export type TerminalAction = 'open' | 'fullscreen' | 'restart';

export type TerminalCommand = CommandOf<'terminal', TerminalAction>;

const terminal = (action: TerminalAction): TerminalCommand => ({ owner: 'terminal', action });
/** Leaving is the app's own `focus-tree`: the tab cannot move the keyboard itself. */
const leave: AppCommand = { owner: 'app', action: 'focus-tree' };

/** Ctrl-], as telnet and `cortex term attach` use it: a key no shell or editor needs. */
export const LEAVE_KEYS = ['ctrl+]'];

export const TERMINAL_BINDINGS: readonly Binding<TerminalCommand | AppCommand, TerminalFocus | 'tree'>[] = [
  { keys: ['t'], command: terminal('open'), where: 'tree', description: 'open a terminal in the selected workspace' },
  {
    keys: ['F'],
    command: terminal('fullscreen'),
    where: 'global',
    description: 'full-screen raw attach to the terminal (Ctrl-] comes back)',
  },
  { keys: LEAVE_KEYS, command: leave, where: 'terminal', description: 'give the keyboard back to the tree' },
  { keys: ['r'], command: terminal('restart'), where: 'terminal-idle', description: 'run an ended terminal again' },
  { keys: ['escape', ...LEAVE_KEYS], command: leave, where: 'terminal-idle', description: 'back to the tree' },
];

export const TERMINAL_SECTIONS: readonly HelpSection<TerminalFocus>[] = [
  { where: 'terminal', title: 'Terminal (every other key goes to the program)' },
  { where: 'terminal-idle', title: 'Terminal, none running' },
];
