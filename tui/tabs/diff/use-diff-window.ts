import { useMemo } from 'react';
import type { WorkspaceDiff } from '../../../src/protocol/workspace-types.js';
import { type DiffLayout, layoutDiff, positionAt } from './diff-layout.js';
import { commentIndex, fileListLines, fileListRows, footerOf, windowLines } from './diff-screen.js';
import type { DiffMode } from './diff-view.js';
import type { PaneLine } from './DiffPane.js';
import { type DiffSource, hunkKey, type ReviewComment } from './review.js';

interface Input {
  diff: WorkspaceDiff | undefined;
  source: DiffSource | undefined;
  comments: readonly ReviewComment[];
  mode: DiffMode;
  offset: number;
  /** The pane's size, as the tab is given it: border included in the width, not in the height. */
  width: number;
  height: number;
}

export interface DiffWindow {
  layout: DiffLayout | undefined;
  /** Columns inside the border. */
  inner: number;
  /** The first line shown: the offset, held inside a diff that may have shrunk since. */
  top: number;
  bodyRows: number;
  /** The offset that shows the last line at the bottom (scrolling stops there; jumps may go further). */
  maxOffset: number;
  /** The file and hunk at the top: what x, c and the highlights are about. */
  position: { file?: number; hunk?: number };
  files: PaneLine[];
  /** The diff lines in the window; undefined when there is no line to show. */
  lines: PaneLine[] | undefined;
  footer: PaneLine | undefined;
}

/**
 * The window onto the diff: the whole diff is laid out once (again only when
 * it, the width or the comments change), and only the rows that fit are
 * handed to the pane, so a diff of 100,000 lines draws as fast as a short one.
 */
export function useDiffWindow({ diff, source, comments, mode, offset, width, height }: Input): DiffWindow {
  const inner = Math.max(10, width - 2);
  const sourceKey = source?.key;
  const index = useMemo(() => commentIndex(comments, sourceKey), [comments, sourceKey]);
  const layout = useMemo(
    () => (diff ? layoutDiff(diff, inner, (file, hunk) => index.get(hunkKey(file.path, hunk)) ?? []) : undefined),
    [diff, inner, index],
  );
  const footer = footerOf(mode, inner);
  const fileRows = diff ? fileListRows(diff.files.length, height) : 0;
  const bodyRows = Math.max(1, height - 1 - fileRows - (footer ? 1 : 0));
  const total = layout?.lines.length ?? 0;
  const top = Math.min(offset, Math.max(0, total - 1));
  const position = layout && diff ? positionAt(layout, diff, top) : {};
  const hunkLine = layout?.hunkStarts.find(
    (start) => start.file === position.file && start.hunk === position.hunk,
  )?.line;
  const commentsOnFile = (path: string) =>
    comments.filter((comment) => comment.source.key === sourceKey && comment.path === path).length;
  return {
    layout,
    inner,
    top,
    bodyRows,
    maxOffset: Math.max(0, total - bodyRows),
    position,
    files: diff ? fileListLines(diff.files, position.file, fileRows, inner, commentsOnFile) : [],
    lines: layout && total > 0 ? windowLines(layout, top, bodyRows, hunkLine) : undefined,
    footer,
  };
}
