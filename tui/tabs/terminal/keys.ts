import type { Binding, HelpSection } from '../../keys/types.js';

/** The Terminal tab with the keyboard: every key goes to the program, but the leave key. */
export type TerminalFocus = 'terminal';

export type TerminalAction = 'terminal-open' | 'terminal-leave' | 'terminal-fullscreen';

export const TERMINAL_BINDINGS: readonly Binding<TerminalAction, TerminalFocus | 'tree'>[] = [
  { keys: ['t'], action: 'terminal-open', where: 'tree', description: 'open a terminal in the selected workspace' },
  {
    keys: ['F'],
    action: 'terminal-fullscreen',
    where: 'global',
    description: 'full-screen raw attach to the terminal (Ctrl-] comes back)',
  },
  { keys: ['ctrl+]'], action: 'terminal-leave', where: 'terminal', description: 'give the keyboard back to the tree' },
];

export const TERMINAL_SECTIONS: readonly HelpSection<TerminalFocus>[] = [{ where: 'terminal', title: 'Terminal' }];
