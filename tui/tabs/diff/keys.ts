import type { Binding, CommandOf, HelpSection } from '../../keys/types.js';

/**
 * The Diff tab's modes: reading the diff, typing a review comment, and
 * confirming a revert (which discards work, so it takes a second key).
 */
export type DiffFocus = 'diff' | 'comment' | 'diff-confirm';

export type DiffAction =
  | 'down'
  | 'up'
  | 'page-down'
  | 'page-up'
  | 'top'
  | 'bottom'
  | 'next-hunk'
  | 'prev-hunk'
  | 'next-file'
  | 'prev-file'
  | 'prev-turn'
  | 'next-turn'
  | 'workspace'
  | 'reload'
  | 'revert-file'
  | 'revert-turn'
  | 'comment'
  | 'uncomment'
  | 'send'
  | 'comment-save'
  | 'comment-cancel'
  | 'confirm-yes'
  | 'confirm-no';

export type DiffCommand = CommandOf<'diff', DiffAction>;

const diff = (action: DiffAction): DiffCommand => ({ owner: 'diff', action });

export const DIFF_BINDINGS: readonly Binding<DiffCommand, DiffFocus>[] = [
  { keys: ['down', 'j'], command: diff('down'), where: 'diff', description: 'scroll down' },
  { keys: ['up', 'k'], command: diff('up'), where: 'diff', description: 'scroll up' },
  { keys: ['pagedown', 'space'], command: diff('page-down'), where: 'diff', description: 'page down' },
  { keys: ['pageup'], command: diff('page-up'), where: 'diff', description: 'page up' },
  { keys: ['g', 'home'], command: diff('top'), where: 'diff', description: 'first line' },
  { keys: ['G', 'end'], command: diff('bottom'), where: 'diff', description: 'last line' },
  { keys: ['n'], command: diff('next-hunk'), where: 'diff', description: 'next hunk' },
  { keys: ['N'], command: diff('prev-hunk'), where: 'diff', description: 'previous hunk' },
  { keys: ['f'], command: diff('next-file'), where: 'diff', description: 'next file' },
  { keys: ['F'], command: diff('prev-file'), where: 'diff', description: 'previous file' },
  { keys: ['left', '<'], command: diff('prev-turn'), where: 'diff', description: "the session's previous turn" },
  {
    keys: ['right', '>'],
    command: diff('next-turn'),
    where: 'diff',
    description: "the session's next turn (the latest follows new turns)",
  },
  {
    keys: ['w'],
    command: diff('workspace'),
    where: 'diff',
    description: 'switch between the turn and the workspace diff (work tree against HEAD)',
  },
  { keys: ['r'], command: diff('reload'), where: 'diff', description: 'load the diff again' },
  {
    keys: ['x'],
    command: diff('revert-file'),
    where: 'diff',
    description: 'revert the current file to before the turn (asks y)',
  },
  { keys: ['X'], command: diff('revert-turn'), where: 'diff', description: 'revert the whole turn (asks y)' },
  {
    keys: ['c'],
    command: diff('comment'),
    where: 'diff',
    description: 'comment on the hunk at the top (sent with the next message)',
  },
  { keys: ['d'], command: diff('uncomment'), where: 'diff', description: "delete the hunk's comments" },
  {
    keys: ['s'],
    command: diff('send'),
    where: 'diff',
    description: 'send the review comments to the session now, as a turn',
  },
  { keys: ['enter'], command: diff('comment-save'), where: 'comment', description: 'keep the comment' },
  { keys: ['escape'], command: diff('comment-cancel'), where: 'comment', description: 'drop the comment' },
  { keys: ['y'], command: diff('confirm-yes'), where: 'diff-confirm', description: 'revert: discard the changes' },
  {
    keys: ['n', 'escape', 'q'],
    command: diff('confirm-no'),
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
