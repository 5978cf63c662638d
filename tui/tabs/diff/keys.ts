import type { Binding, HelpSection } from '../../keys/types.js';

/** The Diff tab's modes: reading the diff, and typing a review comment. */
export type DiffFocus = 'diff' | 'comment';

export type DiffAction = 'diff-down' | 'diff-up' | 'diff-comment' | 'diff-comment-save' | 'diff-comment-cancel';

export const DIFF_BINDINGS: readonly Binding<DiffAction, DiffFocus>[] = [
  { keys: ['down', 'j'], action: 'diff-down', where: 'diff', description: 'scroll down' },
  { keys: ['up', 'k'], action: 'diff-up', where: 'diff', description: 'scroll up' },
  { keys: ['c'], action: 'diff-comment', where: 'diff', description: 'comment on the hunk' },
  { keys: ['enter'], action: 'diff-comment-save', where: 'comment', description: 'keep the comment' },
  { keys: ['escape'], action: 'diff-comment-cancel', where: 'comment', description: 'drop the comment' },
];

export const DIFF_SECTIONS: readonly HelpSection<DiffFocus>[] = [
  { where: 'diff', title: 'Diff' },
  { where: 'comment', title: 'Review comment' },
];
