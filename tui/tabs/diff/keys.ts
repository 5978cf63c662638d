import type { Binding, HelpSection } from '../../keys/types.js';

/**
 * The Diff tab's modes: reading the diff, typing a review comment, and
 * confirming a revert (which discards work, so it takes a second key).
 */
export type DiffFocus = 'diff' | 'comment' | 'diff-confirm';

export type DiffAction =
  | 'diff-down'
  | 'diff-up'
  | 'diff-page-down'
  | 'diff-page-up'
  | 'diff-top'
  | 'diff-bottom'
  | 'diff-next-hunk'
  | 'diff-prev-hunk'
  | 'diff-next-file'
  | 'diff-prev-file'
  | 'diff-prev-turn'
  | 'diff-next-turn'
  | 'diff-workspace'
  | 'diff-reload'
  | 'diff-revert-file'
  | 'diff-revert-turn'
  | 'diff-comment'
  | 'diff-uncomment'
  | 'diff-send'
  | 'diff-comment-save'
  | 'diff-comment-cancel'
  | 'diff-confirm-yes'
  | 'diff-confirm-no';

export const DIFF_BINDINGS: readonly Binding<DiffAction, DiffFocus>[] = [
  { keys: ['down', 'j'], action: 'diff-down', where: 'diff', description: 'scroll down' },
  { keys: ['up', 'k'], action: 'diff-up', where: 'diff', description: 'scroll up' },
  { keys: ['pagedown', 'space'], action: 'diff-page-down', where: 'diff', description: 'page down' },
  { keys: ['pageup'], action: 'diff-page-up', where: 'diff', description: 'page up' },
  { keys: ['g', 'home'], action: 'diff-top', where: 'diff', description: 'first line' },
  { keys: ['G', 'end'], action: 'diff-bottom', where: 'diff', description: 'last line' },
  { keys: ['n'], action: 'diff-next-hunk', where: 'diff', description: 'next hunk' },
  { keys: ['N'], action: 'diff-prev-hunk', where: 'diff', description: 'previous hunk' },
  { keys: ['f'], action: 'diff-next-file', where: 'diff', description: 'next file' },
  { keys: ['F'], action: 'diff-prev-file', where: 'diff', description: 'previous file' },
  { keys: ['left', '<'], action: 'diff-prev-turn', where: 'diff', description: "the session's previous turn" },
  {
    keys: ['right', '>'],
    action: 'diff-next-turn',
    where: 'diff',
    description: "the session's next turn (the latest follows new turns)",
  },
  {
    keys: ['w'],
    action: 'diff-workspace',
    where: 'diff',
    description: 'switch between the turn and the workspace diff (work tree against HEAD)',
  },
  { keys: ['r'], action: 'diff-reload', where: 'diff', description: 'load the diff again' },
  {
    keys: ['x'],
    action: 'diff-revert-file',
    where: 'diff',
    description: 'revert the current file to before the turn (asks y)',
  },
  { keys: ['X'], action: 'diff-revert-turn', where: 'diff', description: 'revert the whole turn (asks y)' },
  {
    keys: ['c'],
    action: 'diff-comment',
    where: 'diff',
    description: 'comment on the hunk at the top (sent with the next message)',
  },
  { keys: ['d'], action: 'diff-uncomment', where: 'diff', description: "delete the hunk's comments" },
  {
    keys: ['s'],
    action: 'diff-send',
    where: 'diff',
    description: 'send the review comments to the session now, as a turn',
  },
  { keys: ['enter'], action: 'diff-comment-save', where: 'comment', description: 'keep the comment' },
  { keys: ['escape'], action: 'diff-comment-cancel', where: 'comment', description: 'drop the comment' },
  { keys: ['y'], action: 'diff-confirm-yes', where: 'diff-confirm', description: 'revert: discard the changes' },
  {
    keys: ['n', 'escape', 'q'],
    action: 'diff-confirm-no',
    where: 'diff-confirm',
    description: 'keep the changes (so does any other key)',
  },
];

export const DIFF_SECTIONS: readonly HelpSection<DiffFocus>[] = [
  { where: 'diff', title: 'Diff' },
  { where: 'comment', title: 'Review comment' },
  { where: 'diff-confirm', title: 'Revert: confirm' },
];

/** What the status bar shows in each mode. */
export const DIFF_HINTS: Record<DiffFocus, string> = {
  // The status bar leaves about 45 columns at 80: the keys used most come first.
  diff: 'n/N hunk · f/F file · c comment · s send · x/X revert · ←/→ turn · w workspace',
  comment: 'type the comment · Enter keep · Esc drop',
  'diff-confirm': 'y reverts · any other key keeps the changes',
};
