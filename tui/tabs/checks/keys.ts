import type { Binding, HelpSection } from '../../keys/types.js';

export type ChecksFocus = 'checks';

export type ChecksAction = 'checks-run' | 'checks-up' | 'checks-down';

export const CHECKS_BINDINGS: readonly Binding<ChecksAction, ChecksFocus>[] = [
  { keys: ['r'], action: 'checks-run', where: 'checks', description: "run the project's checks" },
  { keys: ['up', 'k'], action: 'checks-up', where: 'checks', description: 'previous check' },
  { keys: ['down', 'j'], action: 'checks-down', where: 'checks', description: 'next check' },
];

export const CHECKS_SECTIONS: readonly HelpSection<ChecksFocus>[] = [{ where: 'checks', title: 'Checks' }];
