import type { Binding, CommandOf, HelpSection } from '../../keys/types.js';

export type ChecksFocus = 'checks';

export type ChecksAction = 'run' | 'up' | 'down';

export type ChecksCommand = CommandOf<'checks', ChecksAction>;

const checks = (action: ChecksAction): ChecksCommand => ({ owner: 'checks', action });

export const CHECKS_BINDINGS: readonly Binding<ChecksCommand, ChecksFocus>[] = [
  { keys: ['r'], command: checks('run'), where: 'checks', description: "run the project's checks" },
  { keys: ['up', 'k'], command: checks('up'), where: 'checks', description: 'previous check' },
  { keys: ['down', 'j'], command: checks('down'), where: 'checks', description: 'next check' },
];

export const CHECKS_SECTIONS: readonly HelpSection<ChecksFocus>[] = [{ where: 'checks', title: 'Checks' }];
