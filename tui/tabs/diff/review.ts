import type { DiffHunk } from '../../../src/protocol/workspace-types.js';

/** Where a hunk was seen: one turn of a session, or a workspace's uncommitted changes. */
export interface DiffSource {
  /** Identifies the diff (`turn:SESSION:N`, `workspace:ID`), so comments mark only the diff they were made on. */
  key: string;
  /** How the prompt names it: `turn 2`, `the workspace diff`. */
  label: string;
}

/** A review comment left on one hunk, waiting to go out with the next turn. */
export interface ReviewComment {
  id: number;
  source: DiffSource;
  path: string;
  /** The hunk as it was when commented on: the prompt quotes it even if the diff has changed since. */
  hunk: DiffHunk;
  text: string;
}

/** How many changed lines a comment quotes before it says how many more there are. */
const QUOTED_LINES = 40;

/** Identifies a hunk within its file, stable across reloads of the same diff. */
export function hunkKey(path: string, hunk: DiffHunk): string {
  return `${path}@-${hunk.old_start}+${hunk.new_start}`;
}

/** The hunk's lines on the new side: `line 4`, `lines 4-9`, or `after line 3` for a pure deletion. */
export function lineRange(hunk: DiffHunk): string {
  if (hunk.new_lines === 0) return `after line ${hunk.new_start}`;
  if (hunk.new_lines === 1) return `line ${hunk.new_start}`;
  return `lines ${hunk.new_start}-${hunk.new_start + hunk.new_lines - 1}`;
}

/** One comment as the agent reads it: where, the changed lines it is about, then what the reviewer said. */
function quote(comment: ReviewComment): string {
  const changed = comment.hunk.lines.filter((line) => line.startsWith('+') || line.startsWith('-'));
  const shown = changed.slice(0, QUOTED_LINES);
  const more = changed.length - shown.length;
  return [
    `${comment.path}, ${lineRange(comment.hunk)} (${comment.source.label}):`,
    '```diff',
    ...shown,
    ...(more > 0 ? [`… ${more} more changed lines`] : []),
    '```',
    comment.text,
  ].join('\n');
}

/**
 * The prompt that carries review comments to the agent: each comment with its
 * file, line range and the hunk's changed lines, then the user's message. With
 * no comments it is the message unchanged.
 */
export function reviewPrompt(comments: readonly ReviewComment[], message: string): string {
  if (comments.length === 0) return message;
  const review = [
    `Review comments on the diff (${comments.length}):`,
    ...comments.map((comment) => quote(comment)),
  ].join('\n\n');
  return message.trim() === '' ? review : `${review}\n\n${message}`;
}
