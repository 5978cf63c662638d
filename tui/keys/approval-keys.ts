import type { Binding, CommandOf } from './types.js';

export type ApprovalAction = 'approve' | 'deny' | 'always';

/**
 * y/n/a, the keys that answer a session's oldest pending approval: the same
 * keys and words wherever a tab offers them (Events, Chat's conversation).
 */
export function approvalBindings<C extends CommandOf<string, string>, W extends string>(
  command: (action: ApprovalAction) => C,
  where: W,
): Binding<C, W>[] {
  return [
    { keys: ['y'], command: command('approve'), where, description: 'approve the oldest pending request' },
    { keys: ['n'], command: command('deny'), where, description: 'deny the oldest pending request' },
    {
      keys: ['a'],
      command: command('always'),
      where,
      description: 'approve it, and the same kind of action for the rest of the session',
    },
  ];
}
