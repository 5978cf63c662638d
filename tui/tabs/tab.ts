import type { Key } from 'ink';
import type { ReactNode } from 'react';
import type { Client } from '../../src/client/client.js';
import type { Session, Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import type { Action, Focus } from '../keymap.js';

export type TabName = 'events' | 'chat' | 'files' | 'diff' | 'checks' | 'terminal';

/** What the tree has selected, as the tabs see it. */
export interface Selection {
  /** The selected workspace, or the workspace of the selected session or terminal. */
  workspace: Workspace | undefined;
  /** The selected session (or the one last opened in this workspace). */
  session: Session | undefined;
  /** The selected terminal, when a terminal row is selected. */
  terminal: TerminalInfo | undefined;
}

/** What every tab's hook is given by the app. */
export interface TabContext {
  client: Client | undefined;
  /** Grows on every reconnection: subscriptions are made again when it changes. */
  generation: number;
  selection: Selection;
  /** This tab is the one shown. Hidden tabs keep their state but should not subscribe or fetch. */
  active: boolean;
  /** The keyboard is in this tab. */
  focused: boolean;
  /** The pane's width, border included, and the rows inside its border (the box is `height + 2` tall). */
  width: number;
  height: number;
  /** Shows a short message in the status bar. */
  notify: (text: string) => void;
  /** Shows a tab; with `focus`, gives it the keyboard. */
  showTab: (tab: TabName, focus: boolean) => void;
  /** Selects a row of the tree by id (a session, a terminal, a workspace), once the tree has it. */
  selectInTree: (id: string) => void;
  /** Loads the tree's lists again (after adding a terminal, say). */
  reloadTree: () => void;
}

/** What a tab's hook gives the app: how to draw the tab and how it takes keys. */
export interface TabController {
  /** Where the keyboard is inside the tab (its mode): picks the bindings that apply. */
  focus: Focus;
  /** Runs one of this tab's actions (those named `TAB-...`). */
  perform: (action: Action) => void;
  /** A key no binding claimed (text typed into an editor, a comment or a terminal); false when unused. */
  type?: (input: string, key: Key) => boolean;
  /** Keys that matter now, for the status bar. */
  hints: string;
  /** The pane, `width` × `height + 2` with its border. */
  render: () => ReactNode;
}
