/** Where the screen's parts go at a terminal size. */
export interface Layout {
  /** The tree's width, border included. */
  treeWidth: number;
  /** The right pane's width, border included. */
  paneWidth: number;
  /** The rows inside the panes' borders: the screen less the tab strip, the status bar and two border rows. */
  paneHeight: number;
  /** The rows inside the right pane's border: one fewer while a line over it says its stream is paused. */
  rightHeight: number;
}

/** The tree takes about a third of the width: 24 columns at 80, 30 at 100, at most 40. */
const TREE_SHARE = 0.3;
const TREE_MIN = 20;
const TREE_MAX = 40;

export function layoutFor(size: { columns: number; rows: number }, pausedLine = false): Layout {
  const treeWidth = Math.max(TREE_MIN, Math.min(TREE_MAX, Math.round(size.columns * TREE_SHARE)));
  const paneHeight = Math.max(3, size.rows - 4);
  return {
    treeWidth,
    paneWidth: Math.max(20, size.columns - treeWidth),
    paneHeight,
    rightHeight: pausedLine ? Math.max(2, paneHeight - 1) : paneHeight,
  };
}
