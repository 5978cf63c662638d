import type { Binding, HelpSection } from '../../keys/types.js';

/**
 * The Terminal tab with the keyboard: `terminal` while a running program is
 * shown (every key goes to it, but the leave key), `terminal-idle` when there
 * is none or it has ended (the app's own keys work again).
 */
export type TerminalFocus = 'terminal' | 'terminal-idle';

export type TerminalAction = 'terminal-open' | 'terminal-fullscreen' | 'terminal-restart';

/** Ctrl-], as telnet and `cortex term attach` use it: a key no shell or editor needs. */
export const LEAVE_KEYS = ['ctrl+]'];

/** The keys of the tab. Leaving is the app's own `focus-tree`: the tab cannot move the keyboard itself. */
export const TERMINAL_BINDINGS: readonly Binding<TerminalAction | 'focus-tree', TerminalFocus | 'tree'>[] = [
  { keys: ['t'], action: 'terminal-open', where: 'tree', description: 'open a terminal in the selected workspace' },
  {
    keys: ['F'],
    action: 'terminal-fullscreen',
    where: 'global',
    description: 'full-screen raw attach to the terminal (Ctrl-] comes back)',
  },
  { keys: LEAVE_KEYS, action: 'focus-tree', where: 'terminal', description: 'give the keyboard back to the tree' },
  { keys: ['r'], action: 'terminal-restart', where: 'terminal-idle', description: 'run an ended terminal again' },
  { keys: ['escape', ...LEAVE_KEYS], action: 'focus-tree', where: 'terminal-idle', description: 'back to the tree' },
];

export const TERMINAL_SECTIONS: readonly HelpSection<TerminalFocus>[] = [
  { where: 'terminal', title: 'Terminal (every other key goes to the program)' },
  { where: 'terminal-idle', title: 'Terminal, none running' },
];
