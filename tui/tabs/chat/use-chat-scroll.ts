import { useCallback, useEffect, useRef, useState } from 'react';
import type { SessionEventsView } from '../../hooks/use-session-events.js';
import { FOLLOW, type Scroll } from '../events/event-window.js';
import type { ChatShown } from './ChatPane.js';

/** Anchored before the first event: the window stops at the oldest line. */
const HEAD: Scroll = { follow: false, seq: 0, up: Number.MAX_SAFE_INTEGER / 2 };

export interface ChatScroll {
  scroll: Scroll;
  /** Told by the pane what it shows, before the next key. */
  reportShown: (shown: ChatShown) => void;
  /** Scrolls up (positive) or down by lines from what is on screen. */
  by: (lines: number) => void;
  top: () => void;
  follow: () => void;
}

/**
 * Where the conversation is scrolled, as the Events tab does it: following
 * the newest line, or anchored at an event; older and newer pages load as
 * the window reaches them. Another session opens at its newest line.
 */
export function useChatScroll(session: string | undefined, events: SessionEventsView): ChatScroll {
  const [held, setHeld] = useState<{ session: string | undefined; scroll: Scroll }>({ session, scroll: FOLLOW });
  const scroll = held.session === session ? held.scroll : FOLLOW;
  const setScroll = (next: Scroll) => setHeld({ session, scroll: next });
  const shown = useRef<ChatShown>({ anchor: undefined, atTop: true, atBottom: true });
  const reportShown = useCallback((next: ChatShown) => {
    shown.current = next;
  }, []);

  useEffect(() => {
    if (shown.current.atTop && events.hasOlder) events.loadOlder();
    if (shown.current.atBottom && events.hasNewer) events.loadNewer();
    if (shown.current.atBottom && !events.hasNewer && !scroll.follow) setScroll(FOLLOW);
  });

  return {
    scroll,
    reportShown,
    by: (lines) => {
      const anchor = shown.current.anchor;
      if (anchor) setScroll({ follow: false, seq: anchor.seq, up: anchor.up + lines });
    },
    top: () => {
      events.toHead();
      setScroll(HEAD);
    },
    follow: () => {
      events.toTail();
      setScroll(FOLLOW);
    },
  };
}
