import type { Session, Workspace } from '../../../src/protocol/runtime-types.js';
import type { DiffFile, WorkspaceDiff } from '../../../src/protocol/workspace-types.js';
import { wrapText } from '../../state/event-lines.js';
import { diffSummary, type DiffLayout, fileRow } from './diff-layout.js';
import type { DiffMode, DiffTarget } from './diff-view.js';
import type { PaneLine } from './DiffPane.js';
import { type DiffSource, hunkKey, type ReviewComment } from './review.js';
import type { DiffRequest } from './use-diff-data.js';
import { onNode } from '../../state/on-node.js';

/**
 * The diff a target means given the tree's selection: an explicit target as
 * it is, else the selected session's latest turn, else the workspace's diff;
 * the selection's on its `node` (see onNode).
 */
export function resolveRequest(
  target: DiffTarget | undefined,
  session: Session | undefined,
  workspace: Workspace | undefined,
  node?: string,
): DiffRequest | undefined {
  if (target?.kind === 'turn') {
    return { kind: 'turn', session: target.session, turn: target.turn, ...onNode(target.node) };
  }
  if (target === undefined && session && session.turns > 0) {
    return { kind: 'turn', session: session.id, turn: session.turns, ...onNode(node) };
  }
  return workspace ? { kind: 'workspace', workspace: workspace.id, ...onNode(node) } : undefined;
}

export function sourceOf(request: DiffRequest): DiffSource {
  return request.kind === 'turn'
    ? { key: `turn:${request.session}:${request.turn}`, label: `turn ${request.turn} of session ${request.session}` }
    : { key: `workspace:${request.workspace}`, label: 'uncommitted, against HEAD' };
}

/** The file a path from an event names: the same path, or (an absolute path) the file it ends with. */
export function findFile(files: readonly DiffFile[], path: string): number | undefined {
  const wanted = path.replace(/^\.\//, '');
  const exact = files.findIndex((file) => file.path === wanted || file.old_path === wanted);
  if (exact >= 0) return exact;
  const suffix = files.findIndex((file) => wanted.endsWith(`/${file.path}`));
  return suffix >= 0 ? suffix : undefined;
}

/** How many rows the file list may take: a few, so the hunks keep most of a short pane. */
export function fileListRows(files: number, height: number): number {
  return Math.min(files, Math.max(1, Math.min(5, Math.floor(height / 5))));
}

/** The file list's rows, scrolled so the current file is among them, and it highlighted. */
export function fileListLines(
  files: readonly DiffFile[],
  current: number | undefined,
  rows: number,
  width: number,
  commentsOn: (path: string) => number,
): PaneLine[] {
  const at = current ?? 0;
  const start = Math.max(0, Math.min(at - Math.floor(rows / 2), files.length - rows));
  return files.slice(start, start + rows).map((file, index) => ({
    text: fileRow(file, width, commentsOn(file.path)),
    inverse: start + index === current,
  }));
}

interface TitleInput {
  request: DiffRequest | undefined;
  /** The session's newest turn, when the diff is of the selected session. */
  latest: number | undefined;
  following: boolean;
  diff: WorkspaceDiff | undefined;
  loading: boolean;
  comments: number;
}

export function titleOf({ request, latest, following, diff, loading, comments }: TitleInput): string {
  if (!request) return 'Diff: select a session or a workspace in the tree';
  const which =
    request.kind === 'workspace'
      ? 'Workspace vs HEAD'
      : `Turn ${request.turn}${latest !== undefined ? `/${latest}` : ''}${following ? ' (latest)' : ''}`;
  const parts = [which];
  if (diff) parts.push(diffSummary(diff));
  if (comments > 0) parts.push(`✎${comments}`);
  return `${parts.join(' · ')}${loading ? ' …' : ''}`;
}

/** What the body says when there are no diff lines to show. */
export function emptyBody(
  request: DiffRequest | undefined,
  diff: WorkspaceDiff | undefined,
  error: string | undefined,
  width: number,
): PaneLine[] {
  const say = (text: string, color?: PaneLine['color']) => wrapText(text, width).map((line) => ({ text: line, color }));
  if (error !== undefined) return say(error, 'red');
  if (!request) return say('The Diff tab shows a session turn, or a workspace, selected in the tree.', 'gray');
  if (!diff) return say('Loading the diff…', 'gray');
  if (request.kind === 'turn') return say(`Turn ${request.turn} changed no files.`, 'gray');
  return say('No changes against HEAD.', 'gray');
}

/** The lines in the window, with the current hunk's `@@` line highlighted. */
export function windowLines(
  layout: DiffLayout,
  top: number,
  rows: number,
  currentHunkLine: number | undefined,
): PaneLine[] {
  return layout.lines.slice(top, top + rows).map((line, index) => ({
    text: line.text,
    color: line.color,
    bold: line.bold,
    inverse: top + index === currentHunkLine,
  }));
}

/** The last row while a comment is typed (its end kept in view) or a revert asks to be confirmed. */
export function footerOf(mode: DiffMode, width: number): PaneLine | undefined {
  if (mode.kind === 'comment') {
    const room = Math.max(1, width - 3);
    const draft = mode.draft.length > room ? `…${mode.draft.slice(mode.draft.length - room + 1)}` : mode.draft;
    return { text: `✎ ${draft}▏`, color: 'yellow' };
  }
  if (mode.kind === 'confirm') {
    const { path, turn } = mode.revert;
    const question = path === undefined ? `Revert all of turn ${turn}?` : `Revert ${path} to before turn ${turn}?`;
    return { text: `${question} y/n`, color: 'yellow', bold: true };
  }
  return undefined;
}

/** The comments' texts on each hunk of the shown diff, for the layout to draw under the hunk. */
export function commentIndex(comments: readonly ReviewComment[], sourceKey: string | undefined): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const comment of comments) {
    if (comment.source.key !== sourceKey) continue;
    const key = hunkKey(comment.path, comment.hunk);
    index.set(key, [...(index.get(key) ?? []), comment.text]);
  }
  return index;
}
