/**
 * What the TUI's tests drive, exported by the bundle `cortex tui` loads
 * (run.tsx re-exports this, and scripts/bundle-tui.mjs bundles run.tsx). The
 * tests import it from dist/tui/run.bundle.js, never the modules, so they run
 * the code that ships: one copy of Ink and React, and of every class (an
 * error that was an instance of CortexError in the modules was not in the
 * bundle). Ink and React are here too: a component a test draws must use the
 * bundle's copy of them.
 */
export { Box, render, Text, useInput } from 'ink';
export { useCallback, useRef, useState } from 'react';
// Ink's string-width, which the bundle puts behind the one-column fast path (scripts/bundle-tui.mjs).
export { default as stringWidth } from 'string-width';
// Ink's slice-ansi (it cuts lines with it), behind the one-column fast path too.
export { default as sliceAnsi } from 'slice-ansi';
export { App } from './app.js';
export { HelpScreen, helpLines, helpMaxOffset } from './components/HelpScreen.js';
export { StatusBar } from './components/StatusBar.js';
export { rowText, SELECTED_MARK, TreePane } from './components/TreePane.js';
export { draw } from './draw.js';
export { BLANK_CELL, CarriedMap, RowTexts } from './frames/carried-over.js';
export { readCells } from './frames/cells.js';
export { oneColumnGraphemes, withOneColumnFastPath, withOneColumnSlice } from './frames/one-column-width.js';
export { ScreenWriter } from './frames/screen-writer.js';
export { cycled, erased, moved, typed, valueOf } from './forms/form-state.js';
export { addWorkspaceForm, newSessionForm } from './forms/forms.js';
export { FormView } from './forms/FormView.js';
export { mergeBySeq, useSessionEvents, WINDOW_EVENTS } from './hooks/use-session-events.js';
export { useKeyQueue } from './hooks/use-key-queue.js';
export { renderKeyTable, KEY_TABLE_END, KEY_TABLE_START } from './keys/key-docs.js';
export { BINDINGS, commandFor, firstKey, HELP_SECTIONS, keyName, NO_FLAGS } from './keymap.js';
export { ConnectionProvider } from './state/connection.js';
export { TreeAhead } from './state/tree-ahead.js';
export { pendingRequests } from './state/approvals.js';
export { eventLines, wrapText } from './state/event-lines.js';
export { layoutFor } from './state/layout.js';
export { markdownLines } from './state/markdown.js';
export { createScreenHost } from './state/screen.js';
export { age, buildTree, formatBytes, STATUS_GLYPH } from './state/tree.js';
export { chatLines } from './tabs/chat/chat-lines.js';
export { ChatPane } from './tabs/chat/ChatPane.js';
export { conversation } from './tabs/chat/conversation.js';
export { checkRows, resultSummary } from './tabs/checks/check-rows.js';
export { fileRow, layoutDiff, nextStart, positionAt } from './tabs/diff/diff-layout.js';
export { findFile, resolveRequest } from './tabs/diff/diff-screen.js';
export { diffViewReducer, INITIAL_VIEW } from './tabs/diff/diff-view.js';
export { lineRange, reviewPrompt } from './tabs/diff/review.js';
export { useDiffTab } from './tabs/diff/use-diff-tab.js';
export { eventWindow, FOLLOW } from './tabs/events/event-window.js';
export { EventsPane } from './tabs/events/EventsPane.js';
export { cells, expand } from './tabs/files/display.js';
export {
  bufferOf,
  eraseBackward,
  eraseForward,
  insertText,
  joinLines,
  moveCursor,
  splitLines,
} from './tabs/files/text-buffer.js';
export { EMPTY_TREE, flatten, withExpanded, withListing, withoutDirectory } from './tabs/files/tree-model.js';
export { useFilesTab } from './tabs/files/use-files-tab.js';
export { treeLines } from './tabs/files/view-lines.js';
export { recordCells, tableLine, fitColumns } from './tabs/data/cells.js';
export { FIRST_PAGE, LAST_PAGE, nextPlace, pageRows, previousPlace } from './tabs/data/pager.js';
export { parseQuery } from './tabs/data/query-text.js';
export { TABS } from './tabs/names.js';
export { createEmulator } from './tabs/terminal/emulator.js';
export { keyBytes } from './tabs/terminal/key-bytes.js';
export { snapshot } from './tabs/terminal/screen-snapshot.js';
export { useTerminalTab } from './tabs/terminal/use-terminal-tab.js';
