import type { Actions, Performers } from '../keymap.js';
import { useChatTab } from './chat/use-chat-tab.js';
import { useDataTab } from './data/use-data-tab.js';
import { useChecksTab } from './checks/use-checks-tab.js';
import { type DiffTab, useDiffTab } from './diff/use-diff-tab.js';
import { type EventsTab, useEventsTab } from './events/use-events-tab.js';
import { type FilesTab, useFilesTab } from './files/use-files-tab.js';
import type { TabName } from './names.js';
import type { TabContext, TabController } from './tab.js';
import { useTerminalTab } from './terminal/use-terminal-tab.js';

/** Every tab's controller, by name; some tabs offer the others more (Diff its review comments). */
export type Tabs = { [T in TabName]: TabController<Actions[T]> } & {
  events: EventsTab;
  files: FilesTab;
  diff: DiffTab;
};

/**
 * Runs every tab's hook, each with its context, in an order that lets a tab
 * be given what it needs of another: Events opens diffs in Diff, Chat sends
 * Diff's review comments and follows the Events tail. Hidden tabs keep their
 * state (a draft, an editor's edits) but fetch nothing.
 */
export function useTabs(contextOf: (tab: TabName) => TabContext): Tabs {
  const diff = useDiffTab(contextOf('diff'));
  const events = useEventsTab(contextOf('events'), { showDiff: diff.show });
  const chat = useChatTab(contextOf('chat'), {
    comments: diff.comments,
    composePrompt: diff.composePrompt,
    followEvents: events.follow,
  });
  const files = useFilesTab(contextOf('files'));
  const checks = useChecksTab(contextOf('checks'));
  const terminal = useTerminalTab(contextOf('terminal'));
  const data = useDataTab(contextOf('data'));
  return { events, chat, files, diff, checks, terminal, data };
}

/** The tabs' part of the dispatch table: each tab runs its own actions. */
export function tabPerformers(tabs: Tabs): Omit<Performers, 'app' | 'show'> {
  return {
    events: tabs.events.perform,
    chat: tabs.chat.perform,
    files: tabs.files.perform,
    diff: tabs.diff.perform,
    checks: tabs.checks.perform,
    terminal: tabs.terminal.perform,
    data: tabs.data.perform,
  };
}
