import { useState } from 'react';
import { errorMessage } from '../src/protocol/errors.js';
import { helpMaxOffset } from './components/HelpScreen.js';
import { addWorkspaceForm, newSessionForm, newSessionOnNodeForm } from './forms/forms.js';
import { onNode } from './state/on-node.js';
import { useSessionActions } from './session-actions.js';
import type { FormHost, Forms } from './forms/use-forms.js';
import type { AppAction } from './keys/app-keys.js';
import type { Tabs } from './tabs/registry.js';
import type { Workbench } from './state/workbench.js';

interface AppDeps {
  bench: Workbench;
  tabs: Tabs;
  forms: Forms;
  cwd: string;
  exit: () => void;
}

/** Where a form leaves the keyboard when it is done: the tree, with what it made selected (and a tab shown). */
export function formHost(bench: Workbench): FormHost {
  return {
    client: bench.connection.client,
    leave: (select, show) => {
      bench.setArea('tree');
      if (select !== undefined) bench.picked.select(select);
      if (show !== undefined) bench.showTab(show, false);
    },
  };
}

/** The help's box: the whole screen but the status bar. */
export function helpSize(bench: Workbench): { width: number; height: number } {
  return { width: bench.size.columns, height: Math.max(3, bench.size.rows - 1) };
}

/**
 * What the app's own keys do: quit, help, focus, the tree's moves and items,
 * the forms. Tabs run their own actions; this is the app's row of the table.
 */
export function useAppActions({ bench, tabs, forms, cwd, exit }: AppDeps) {
  const [helpOffset, setHelpOffset] = useState(0);
  const sessions = useSessionActions(bench);
  const { picked, notify, setArea } = bench;
  const { client } = bench.connection;
  const session = bench.open.session;
  const row = picked.row;

  /** Shows how a daemon call ended in the status bar. */
  const report = (promise: Promise<unknown>, done: string) =>
    promise.then(
      () => notify(done),
      (error: unknown) => notify(errorMessage(error)),
    );

  const quit = () => {
    // Unsaved edits live only in this process: the first q with some says so, a second one while that notice shows quits.
    const warning = Object.values(tabs)
      .map((tab) => tab.beforeQuit)
      .find((text) => text !== undefined);
    if (warning === undefined || bench.notice === warning) return exit();
    notify(warning);
  };

  const newSession = () => {
    const { workspace, node } = picked.selection;
    // Another node's row starts the session there, in a directory typed in the form.
    const form =
      row?.kind === 'peer' && node !== undefined
        ? newSessionOnNodeForm(node)
        : workspace && newSessionForm(workspace, node);
    if (!form) return notify('Select a workspace (or a session in it) first; a adds one.');
    forms.open(form);
    setArea('form');
  };

  const help = helpSize(bench);
  const table: Record<AppAction, () => void> = {
    quit,
    help: () => {
      setHelpOffset(0);
      setArea((current) => (current === 'help' ? 'tree' : 'help'));
    },
    'help-up': () => setHelpOffset((offset) => Math.max(0, offset - 1)),
    'help-down': () => setHelpOffset((offset) => Math.min(helpMaxOffset(help.width, help.height), offset + 1)),
    'focus-next': () => setArea((current) => (current === 'tree' ? 'pane' : 'tree')),
    'focus-tree': () => setArea('tree'),
    'tree-up': () => picked.move(-1),
    'tree-down': () => picked.move(1),
    open: () => {
      if (row?.kind === 'session') bench.showTab('events', true);
      if (row?.kind === 'terminal') bench.showTab('terminal', true);
      if (row?.kind === 'workspace') newSession();
    },
    'new-session': newSession,
    'add-workspace': () => {
      forms.open(addWorkspaceForm(cwd));
      setArea('form');
    },
    'stop-session': sessions.askStop,
    'resume-session': sessions.resume,
    'confirm-yes': () => sessions.answer(true),
    'confirm-no': () => sessions.answer(false),
    interrupt: () => {
      if (client && session) {
        void report(
          client.call('session_interrupt', { session: session.id, ...onNode(bench.open.node) }),
          'interrupt sent',
        );
      }
    },
    ...forms.actions,
  };
  return { perform: (action: AppAction) => table[action](), helpOffset, question: sessions.question };
}
