import type { Key } from 'ink';
import type { ReactNode } from 'react';
import type { Client } from '../../src/client/client.js';
import type { Project, Session, Workspace } from '../../src/protocol/runtime-types.js';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';
import type { SessionEventsView } from '../hooks/use-session-events.js';
import type { Focus } from '../keymap.js';
import type { TabName } from './names.js';

export type { TabName } from './names.js';

/** What the tree has selected, as the tabs see it. */
export interface Selection {
  /** The selected workspace, or the workspace of the selected session or terminal. */
  workspace: Workspace | undefined;
  /** The project of that workspace. */
  project: Project | undefined;
  /** The selected session (or the one last opened in this workspace). */
  session: Session | undefined;
  /** The selected terminal, when a terminal row is selected. */
  terminal: TerminalInfo | undefined;
  /** The node of the selected row, when it is not this one: calls about it go there (see onNode). */
  node?: string;
}

/** The session last opened in the tree, and its events: loaded once, for every tab that shows them. */
export interface OpenSession {
  session: Session | undefined;
  /** The node the session runs on, when it is not this one. */
  node?: string;
  events: SessionEventsView;
}

/** What every tab's hook is given by the app. */
export interface TabContext {
  client: Client | undefined;
  /** Grows on every reconnection: subscriptions are made again when it changes. */
  generation: number;
  selection: Selection;
  open: OpenSession;
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
}

/** What a tab's hook gives the app: how to draw the tab and how it takes keys. */
export interface TabController<A extends string = string> {
  /** Where the keyboard is inside the tab (its mode): picks the bindings that apply. */
  focus: Focus;
  /** Runs one of this tab's actions. */
  perform: (action: A) => void;
  /** A key no binding claimed (text typed into an editor, a comment or a terminal); false when unused. */
  type?: (input: string, key: Key) => boolean;
  /** Keys that matter now, for the status bar. */
  hints: string;
  /** The pane, `width` × `height + 2` with its border. */
  render: () => ReactNode;
  /** Shown after the tab's name in the tab strip (` (2)` review comments). */
  badge?: string;
  /** Why quitting now would lose something (edits not saved), or undefined. */
  beforeQuit?: string;
}

/** A tab as the App draws it and hands it typed keys (its actions reach it through the dispatch table). */
export type ShownTab = Omit<TabController, 'perform'>;

/**
 * A prompt with the review comments it quotes. They stay in Diff until the
 * message is accepted (`sent` removes them) or refused (`refused` offers them
 * to the next message); meanwhile another message does not quote them again.
 */
export interface ComposedPrompt {
  prompt: string;
  sent: () => void;
  refused: () => void;
}
