import { useCallback, useEffect, useRef, useState } from 'react';
import type { SessionEvent } from '../../../src/protocol/session-events.js';
import { answerActions, useApprovals, withPending } from '../../hooks/use-approvals.js';
import { onNode } from '../../state/on-node.js';
import type { DiffTarget } from '../diff/diff-view.js';
import type { TabContext, TabController } from '../tab.js';
import { FOLLOW, type Scroll } from './event-window.js';
import { EventsPane, type EventsShown } from './EventsPane.js';
import { EVENTS_HINTS, type EventsAction } from './keys.js';

/** What the Events tab needs of the others: the Diff tab, to open a file change in. */
export interface EventsLinks {
  showDiff: (target: DiffTarget) => void;
}

export interface EventsTab extends TabController<EventsAction> {
  /** Back to the newest event, following the tail (after sending a message, say). */
  follow: () => void;
}

/** Anchored before the first event: the window stops at the oldest line and stays there as the head loads. */
const HEAD: Scroll = { follow: false, seq: 0, up: Number.MAX_SAFE_INTEGER / 2 };

/**
 * The Events tab: the open session's events, following the tail unless
 * scrolled up, paging older and newer events in as the window reaches them;
 * Enter opens the diff of the file change marked on screen.
 */
export function useEventsTab(context: TabContext, links: EventsLinks): EventsTab {
  const { session, events } = context.open;
  const [held, setHeld] = useState<{ session: string | undefined; scroll: Scroll }>({
    session: session?.id,
    scroll: FOLLOW,
  });
  // Another session opens at its newest event.
  const scroll = held.session === session?.id ? held.scroll : FOLLOW;
  const setScroll = (next: Scroll) => setHeld({ session: session?.id, scroll: next });
  const [expanded, setExpanded] = useState(false);
  const approvals = useApprovals(context);
  // What the pane shows: where the next scroll key starts from, and what Enter opens.
  const shown = useRef<EventsShown>({ anchor: undefined, atTop: true, atBottom: true, marked: undefined });
  const reportShown = useCallback((next: EventsShown) => {
    shown.current = next;
  }, []);

  // Pages in what the window reached the edge of; back at the newest line it follows the tail again.
  useEffect(() => {
    if (shown.current.atTop && events.hasOlder) events.loadOlder();
    if (shown.current.atBottom && events.hasNewer) events.loadNewer();
    if (shown.current.atBottom && !events.hasNewer && !scroll.follow) setScroll(FOLLOW);
  });

  /** Scrolls up (positive) or down from what is on screen, so j right after g moves at once. */
  const scrollBy = (lines: number) => {
    const anchor = shown.current.anchor;
    if (anchor) setScroll({ follow: false, seq: anchor.seq, up: anchor.up + lines });
  };

  const follow = () => {
    events.toTail();
    setScroll(FOLLOW);
  };

  const page = context.height - 2;
  const actions: Record<EventsAction, () => void> = {
    up: () => scrollBy(1),
    down: () => scrollBy(-1),
    'page-up': () => scrollBy(page),
    'page-down': () => scrollBy(-page),
    top: () => {
      events.toHead();
      setScroll(HEAD);
    },
    bottom: follow,
    'toggle-output': () => setExpanded((value) => !value),
    'open-diff': () => openDiffOf(context, links, shown.current.marked),
    ...answerActions(approvals),
  };

  return {
    focus: 'events',
    perform: (action) => actions[action](),
    hints: withPending(approvals, EVENTS_HINTS),
    follow,
    render: () => (
      <EventsPane
        session={session}
        events={events.events}
        hasOlder={events.hasOlder}
        hasNewer={events.hasNewer}
        scroll={scroll}
        expanded={expanded}
        focused={context.focused}
        width={context.width}
        height={context.height}
        onShown={reportShown}
      />
    ),
  };
}

/** Shows the diff of a file change (or a turn's diff) in the Diff tab. */
function openDiffOf(context: TabContext, links: EventsLinks, event: SessionEvent | undefined): void {
  if (event === undefined) return context.notify('No file change on screen to show the diff of.');
  const changed = event.type === 'file_change' ? event.payload.changes[0]?.path : undefined;
  // Codex names changed files by absolute path; diffs name them relative to the workspace.
  const root = `${context.selection.workspace?.path ?? ''}/`;
  const path = changed?.startsWith(root) ? changed.slice(root.length) : changed;
  links.showDiff({ kind: 'turn', session: event.session, turn: event.turn, path, ...onNode(context.open.node) });
  context.showTab('diff', true);
}
