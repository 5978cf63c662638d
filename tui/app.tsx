import { Box, type Key, useApp } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { errorMessage } from '../src/protocol/errors.js';
import type { SessionEvent } from '../src/protocol/session-events.js';
import { ChatPane } from './components/ChatPane.js';
import { EventsPane, type EventsShown } from './components/EventsPane.js';
import { FormView } from './components/FormView.js';
import { HelpScreen, helpMaxOffset } from './components/HelpScreen.js';
import { StatusBar } from './components/StatusBar.js';
import { TabStrip } from './components/TabStrip.js';
import { TreePane } from './components/TreePane.js';
import { addWorkspaceForm, newSessionForm, useForm } from './hooks/use-forms.js';
import { useKeyQueue } from './hooks/use-key-queue.js';
import { useSessionEvents } from './hooks/use-session-events.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { useTreeData } from './hooks/use-tree-data.js';
import { type Action, actionFor, type Focus, keyName } from './keymap.js';
import { useConnection } from './state/connection.js';
import { FOLLOW, type Scroll } from './state/event-window.js';
import { buildTree } from './state/tree.js';
import { useChecksTab } from './tabs/checks/use-checks-tab.js';
import { useDiffTab } from './tabs/diff/use-diff-tab.js';
import { useFilesTab } from './tabs/files/use-files-tab.js';
import type { Selection, TabContext, TabController, TabName } from './tabs/tab.js';
import { useTerminalTab } from './tabs/terminal/use-terminal-tab.js';

/** Where the keyboard is, coarsely: the pane's own modes come from its tab. */
type Area = 'tree' | 'pane' | 'form' | 'help';

const TAB_ACTIONS: Partial<Record<Action, TabName>> = {
  'tab-events': 'events',
  'tab-chat': 'chat',
  'tab-files': 'files',
  'tab-diff': 'diff',
  'tab-checks': 'checks',
  'tab-terminal': 'terminal',
};

const TREE_WIDTH = 34;
const NO_CHECKS: readonly string[] = [];
/** How long a notice stays in the status bar. */
const NOTICE_MS = 6000;
const NO_EVENTS: readonly SessionEvent[] = [];

/**
 * The workbench: the tree on the left, the selected session's tabs on the
 * right, the status bar below. Keys arrive in one place and are routed by the
 * table in keymap.ts; state lives in the hooks that own it.
 */
export function App({ cwd }: { cwd: string }) {
  const { exit } = useApp();
  const connection = useConnection();
  const { client } = connection;
  const size = useTerminalSize();
  const tree = useTreeData();
  const [area, setArea] = useState<Area>('tree');
  const [tab, setTab] = useState<TabName>('events');
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined);
  const [openSession, setOpenSession] = useState<string | undefined>(undefined);
  const [scrollTo, setScrollTo] = useState<Scroll>(FOLLOW);
  // What the events pane shows: where the next scroll key starts from, and what Enter opens.
  const eventsShown = useRef<EventsShown>({ anchor: undefined, atTop: true, atBottom: true, marked: undefined });
  const reportEventsShown = useCallback((shown: EventsShown) => {
    eventsShown.current = shown;
  }, []);
  const [helpOffset, setHelpOffset] = useState(0);
  const [expanded, setExpanded] = useState(false);
  const [draft, setDraft] = useState('');
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [viewed, setViewed] = useState<ReadonlyMap<string, number>>(new Map());
  const forms = useForm();
  // Unsaved edits live only in this process: the first q with some says so, a second one (while
  // that notice shows) quits.
  const quitWarned = useRef(false);
  // A notice is news, not state: it goes after a while so stale ones do not pile up before the hints.
  useEffect(() => {
    if (notice === undefined) return;
    const timer = setTimeout(() => {
      setNotice(undefined);
      quitWarned.current = false;
    }, NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  const unseen = useMemo(
    () =>
      new Set(
        tree.sessions
          .filter(
            (session) => session.id !== openSession && session.updated > (viewed.get(session.id) ?? session.created),
          )
          .map((session) => session.id),
      ),
    [tree.sessions, viewed, openSession],
  );
  const rows = useMemo(() => buildTree({ ...tree, unseen }), [tree, unseen]);
  const selected = Math.max(
    0,
    rows.findIndex((row) => row.id === selectedId),
  );
  const selectedRow = rows[selected];
  const session = tree.sessions.find((item) => item.id === openSession);
  const events = useSessionEvents(openSession);
  const selection = useMemo((): Selection => {
    const workspaceId =
      selectedRow?.kind === 'workspace'
        ? selectedRow.id
        : selectedRow?.kind === 'session'
          ? selectedRow.session.workspace
          : selectedRow?.kind === 'terminal'
            ? selectedRow.terminal.workspace
            : session?.workspace;
    const workspace = tree.workspaces.find((item) => item.id === workspaceId);
    return {
      workspace,
      session: session && session.workspace === workspace?.id ? session : undefined,
      terminal: selectedRow?.kind === 'terminal' ? selectedRow.terminal : undefined,
    };
  }, [selectedRow, session, tree.workspaces]);

  useEffect(() => {
    if (selectedRow?.kind === 'session' && selectedRow.id !== openSession) {
      setOpenSession(selectedRow.id);
      setScrollTo(FOLLOW);
    }
  }, [selectedRow, openSession]);
  useEffect(() => {
    if (session) setViewed((map) => new Map(map).set(session.id, session.updated));
  }, [session]);

  // The tab strip above, the status bar below, and the panes' borders.
  const paneHeight = Math.max(3, size.rows - 4);
  const treeWidth = Math.min(TREE_WIDTH, Math.floor(size.columns * 0.4));
  const paneWidth = Math.max(20, size.columns - treeWidth);

  const showTab = useCallback((next: TabName, focusIt: boolean) => {
    setTab(next);
    if (focusIt) setArea('pane');
  }, []);
  const tabContext = (name: TabName): TabContext => ({
    client,
    generation: connection.generation,
    selection,
    active: tab === name && area !== 'help',
    focused: tab === name && area === 'pane',
    width: paneWidth,
    height: paneHeight,
    notify: setNotice,
    showTab,
    selectInTree: setSelectedId,
    reloadTree: tree.reload,
  });
  const files = useFilesTab(tabContext('files'));
  const diff = useDiffTab(tabContext('diff'));
  const project = tree.projects.find((item) => item.name === selection.workspace?.project);
  const checks = useChecksTab(tabContext('checks'), {
    configured: project?.checks ?? NO_CHECKS,
    events: selection.session ? events.events : NO_EVENTS,
  });
  const terminal = useTerminalTab(tabContext('terminal'));
  const controllers: Partial<Record<TabName, TabController>> = { files, diff, checks, terminal };
  const controller = controllers[tab];
  const focus: Focus =
    area === 'pane' ? (controller?.focus ?? (tab === 'chat' ? 'chat' : 'events')) : area === 'tree' ? 'tree' : area;

  /** Shows how a daemon call ended in the status bar. */
  const report = (promise: Promise<unknown>, done?: string): void => {
    promise.then(
      () => setNotice(done),
      (error: unknown) => setNotice(errorMessage(error)),
    );
  };

  const submitForm = () => {
    const form = forms.form;
    if (!form || !client) return;
    if (form.kind === 'add-workspace') {
      client.call('workspace_add', { path: form.fields[0]!.value }).then(
        ({ workspace }) => {
          forms.close();
          setArea('tree');
          tree.reload();
          setSelectedId(workspace.id);
        },
        (error: unknown) => forms.fail(errorMessage(error)),
      );
      return;
    }
    const workspace = selection.workspace;
    const [provider, prompt] = form.fields;
    if (!workspace) return forms.fail('Select a workspace first.');
    client
      .call('session_start', {
        workspace: workspace.id,
        provider: provider!.value as 'codex' | 'fake',
        prompt: prompt!.value.trim() || undefined,
      })
      .then(
        ({ session: started }) => {
          forms.close();
          setArea('tree');
          setSelectedId(started.id);
          setOpenSession(started.id);
          setTab('events');
        },
        (error: unknown) => forms.fail(errorMessage(error)),
      );
  };

  const sendDraft = () => {
    const message = draft.trim();
    if (!client || !session || (message === '' && diff.comments === 0)) return;
    const prompt = diff.takePrompt(message);
    setDraft('');
    // Not through report(): its `done` (none here) replaced this notice as soon as it was set.
    client.call('session_send', { session: session.id, prompt }).then(
      ({ queued, turn }) => {
        setNotice(queued ? `queued as turn ${turn}` : `turn ${turn} started`);
        events.toTail();
        setScrollTo(FOLLOW);
      },
      (error: unknown) => setNotice(errorMessage(error)),
    );
  };

  const perform = (action: Action) => {
    const tabOfAction = TAB_ACTIONS[action];
    if (tabOfAction) return showTab(tabOfAction, true);
    const owner = action.split('-')[0];
    if (owner === 'files' || owner === 'diff' || owner === 'checks' || owner === 'terminal') {
      return controllers[owner]?.perform(action);
    }
    switch (action) {
      case 'quit':
        return quit();
      case 'help':
        setHelpOffset(0);
        return setArea((current) => (current === 'help' ? 'tree' : 'help'));
      case 'focus-next':
        return setArea((current) => (current === 'tree' ? 'pane' : 'tree'));
      case 'focus-tree':
        return setArea('tree');
      case 'up':
        if (focus === 'tree') return moveSelection(-1);
        if (focus === 'help') return setHelpOffset((current) => Math.max(0, current - 1));
        return scroll(1);
      case 'down':
        if (focus === 'tree') return moveSelection(1);
        if (focus === 'help') return setHelpOffset((current) => Math.min(helpMaxOffset(paneHeight + 2), current + 1));
        return scroll(-1);
      case 'page-up':
        return scroll(paneHeight - 2);
      case 'page-down':
        return scroll(-(paneHeight - 2));
      case 'top':
        events.toHead();
        // Anchored before the first event: the window stops at the oldest line and stays there as the head loads.
        return setScrollTo({ follow: false, seq: 0, up: Number.MAX_SAFE_INTEGER / 2 });
      case 'bottom':
        events.toTail();
        return setScrollTo(FOLLOW);
      case 'open':
        if (selectedRow?.kind === 'session') return showTab('events', true);
        if (selectedRow?.kind === 'terminal') return showTab('terminal', true);
        if (selectedRow?.kind === 'workspace') return perform('new-session');
        return;
      case 'new-session': {
        const workspace = selection.workspace;
        if (!workspace) return setNotice('Select a workspace (or a session in it) first; a adds one.');
        forms.open(newSessionForm(workspace.path));
        return setArea('form');
      }
      case 'add-workspace':
        forms.open(addWorkspaceForm(cwd));
        return setArea('form');
      case 'interrupt':
        if (client && session) report(client.call('session_interrupt', { session: session.id }), 'interrupt sent');
        return;
      case 'stop-session':
        if (client && selectedRow?.kind === 'session') {
          report(client.call('session_stop', { session: selectedRow.id }), `stopped ${selectedRow.id}`);
        }
        return;
      case 'send':
        return focus === 'form' ? submitForm() : sendDraft();
      case 'newline':
        return setDraft((text) => `${text}\n`);
      case 'cancel':
        forms.close();
        return setArea('tree');
      case 'toggle-output':
        return setExpanded((value) => !value);
      case 'event-diff':
        return openDiffOf(eventsShown.current.marked);
    }
  };

  const quit = () => {
    if (files.unsaved.length === 0 || quitWarned.current) return exit();
    quitWarned.current = true;
    setNotice(`Unsaved edits in ${files.unsaved.join(', ')}: Ctrl-S in the editor saves; q again quits without them.`);
  };

  const openDiffOf = (event: SessionEvent | undefined) => {
    if (event === undefined) return setNotice('No file change on screen to show the diff of.');
    const changed = event.type === 'file_change' ? event.payload.changes[0]?.path : undefined;
    // Codex names changed files by absolute path; diffs name them relative to the workspace.
    const root = `${selection.workspace?.path ?? ''}/`;
    const path = changed?.startsWith(root) ? changed.slice(root.length) : changed;
    diff.show({ kind: 'turn', session: event.session, turn: event.turn, path });
    showTab('diff', true);
  };

  // Functional, so several keys handled before the next render each move one row.
  const moveSelection = (step: number) =>
    setSelectedId((current) => {
      const at = Math.max(
        0,
        rows.findIndex((row) => row.id === current),
      );
      return rows[Math.max(0, Math.min(rows.length - 1, at + step))]?.id;
    });

  /** Scrolls up (positive) or down from what is on screen, so j right after g moves at once. */
  const scroll = (lines: number) => {
    const anchor = eventsShown.current.anchor;
    if (anchor) setScrollTo({ follow: false, seq: anchor.seq, up: anchor.up + lines });
  };
  // Pages in what the window reached the edge of; back at the newest line it follows the tail again.
  useEffect(() => {
    const shown = eventsShown.current;
    if (shown.atTop && events.hasOlder) events.loadOlder();
    if (shown.atBottom && events.hasNewer) events.loadNewer();
    if (shown.atBottom && !events.hasNewer && !scrollTo.follow) setScrollTo(FOLLOW);
  });

  useKeyQueue(focus, handleKey);

  function handleKey(input: string, key: Key): void {
    const name = keyName(input, key);
    const action = actionFor(name, focus);
    if (action) return perform(action);
    if (area === 'pane' && controller?.type?.(input, key)) return;
    if (focus === 'chat') {
      if (name === 'backspace') return setDraft((text) => text.slice(0, -1));
      if (!key.ctrl && !key.meta && input.length > 0 && name !== 'tab') return setDraft((text) => text + input);
    }
    if (focus === 'form') {
      if (name === 'backspace') return forms.erase();
      if (name === 'tab' || name === 'down') return forms.move(1);
      if (name === 'up' || name === 'shift+tab') return forms.move(-1);
      if (name === 'left') return forms.cycle(-1);
      if (name === 'right') return forms.cycle(1);
      if (!key.ctrl && !key.meta && input.length > 0) return forms.type(input);
    }
  }

  const hints =
    focus === 'tree'
      ? 'j/k move · Enter open · n session · t terminal · a workspace · 1-6 tabs · ? help · q quit'
      : focus === 'events'
        ? 'j/k scroll · G follow · o output · Enter diff · Tab tree · ? help'
        : focus === 'chat'
          ? `Enter send${diff.comments > 0 ? ` (+${diff.comments} review comments)` : ''} · Ctrl-C interrupt · Esc tree`
          : focus === 'form'
            ? 'Enter submit · Esc cancel'
            : focus === 'help'
              ? 'j/k scroll · Esc closes help'
              : (controller?.hints ?? '');

  const right =
    focus === 'help' ? (
      <HelpScreen width={paneWidth} height={paneHeight + 2} offset={helpOffset} />
    ) : forms.form ? (
      <FormView {...forms.form} width={paneWidth} />
    ) : controller ? (
      controller.render()
    ) : tab === 'chat' ? (
      <ChatPane
        session={session}
        draft={draft}
        focused={focus === 'chat'}
        width={paneWidth}
        height={paneHeight}
        notice={notice}
      />
    ) : (
      <EventsPane
        session={session}
        events={events.events}
        hasOlder={events.hasOlder}
        hasNewer={events.hasNewer}
        scroll={scrollTo}
        expanded={expanded}
        focused={focus === 'events'}
        width={paneWidth}
        height={paneHeight}
        onShown={reportEventsShown}
      />
    );

  return (
    <Box flexDirection="column" width={size.columns} height={size.rows}>
      <TabStrip
        tab={tab}
        width={size.columns}
        badges={{ diff: diff.comments > 0 ? ` (${diff.comments})` : undefined }}
      />
      <Box>
        <TreePane rows={rows} selected={selected} focused={area === 'tree'} width={treeWidth} height={paneHeight} />
        {right}
      </Box>
      <StatusBar
        state={connection.state}
        retryInMs={connection.retryInMs}
        error={connection.error}
        node={tree.status?.node}
        identity={tree.status?.identity}
        hints={notice && focus !== 'chat' ? `${notice} · ${hints}` : hints}
        width={size.columns}
      />
    </Box>
  );
}
