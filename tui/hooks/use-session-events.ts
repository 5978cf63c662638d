import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { useConnection } from '../state/connection.js';
import { onNode } from '../state/on-node.js';

export interface SessionEventsView {
  /** The loaded window of the session's events, in seq order. */
  events: SessionEvent[];
  /** There are events before the window in the daemon. */
  hasOlder: boolean;
  /** There are events after the window in the daemon (the window was moved away from the tail). */
  hasNewer: boolean;
  /** Loads the page before the window (dropping the newest events past the limit). */
  loadOlder: () => void;
  /** Loads the page after the window, joining the live tail once it reaches it. */
  loadNewer: () => void;
  /** Moves the window to the session's first events. */
  toHead: () => void;
  /** Moves the window back to the newest events, which then follow live. */
  toTail: () => void;
}

/** How many events to load at first and per page. */
const PAGE = 500;
/** At most this many events are held; history stays in the daemon and is paged in. */
export const WINDOW_EVENTS = 5_000;
/** Live events are applied at most this often, so a fast stream costs at most ~30 renders a second. */
const FLUSH_MS = 33;

interface Held {
  session: string | undefined;
  /** The session's node, when it is not this one (see onNode). */
  node: string | undefined;
  events: SessionEvent[];
  hasNewer: boolean;
  /** The newest seq known to exist (loaded, announced by subscribe, or received live). */
  lastSeq: number;
  /** Live events received while the window is away from the tail, waiting for it to come back. */
  liveTail: SessionEvent[];
  /** A page request in flight: one at a time, so keys held down do not pile requests up. */
  loading: boolean;
}

const empty = (session: string | undefined, node: string | undefined): Held => ({
  session,
  node,
  events: [],
  hasNewer: false,
  lastSeq: 0,
  liveTail: [],
  loading: false,
});

/**
 * A window of a session's events: the newest page at first, live events from
 * `session:ID` batched into one update per frame, and pages before or after
 * on demand, never more than WINDOW_EVENTS at once. After a reconnection it
 * subscribes again from the last seq it knows, so nothing is missed or repeated.
 */
export function useSessionEvents(session: string | undefined, node?: string): SessionEventsView {
  const { client, generation } = useConnection();
  const held = useRef<Held>(empty(session, node));
  const [, setVersion] = useState(0);
  if (held.current.session !== session || held.current.node !== node) held.current = empty(session, node);
  const changed = useCallback(() => setVersion((version) => version + 1), []);
  useLiveEvents(client, generation, session, node, held, changed);

  /** Runs one page request at a time for the current session, applying its answer unless the session changed. */
  const load = useCallback(
    (request: PageRequest) => {
      const state = held.current;
      if (!client || session === undefined || state.loading) return;
      state.loading = true;
      request(client, session, state).then(
        (apply) => {
          state.loading = false;
          if (held.current !== state) return;
          apply(state);
          changed();
        },
        () => {
          state.loading = false;
        },
      );
    },
    [client, session, changed],
  );

  const state = held.current;
  return {
    events: state.events,
    hasOlder: (state.events[0]?.seq ?? 1) > 1,
    hasNewer: state.hasNewer,
    loadOlder: useCallback(() => {
      if ((held.current.events[0]?.seq ?? 1) > 1) load(olderPage);
    }, [load]),
    loadNewer: useCallback(() => {
      if (held.current.hasNewer) load(newerPage);
    }, [load]),
    toHead: useCallback(() => {
      if ((held.current.events[0]?.seq ?? 1) > 1) load(headPage);
    }, [load]),
    toTail: useCallback(() => {
      if (held.current.hasNewer) load(tailPage);
    }, [load]),
  };
}

/**
 * Live events of `session:ID`, batched into one update per frame: subscribed
 * from the last seq known after a reconnection, or from the newest page at first.
 */
function useLiveEvents(
  client: Client | undefined,
  generation: number,
  session: string | undefined,
  node: string | undefined,
  held: RefObject<Held>,
  changed: () => void,
): void {
  useEffect(() => {
    if (!client || session === undefined) return;
    let live = true;
    let pending: SessionEvent[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      if (!live || batch.length === 0 || held.current.session !== session) return;
      const state = held.current;
      if (state.hasNewer) state.liveTail = keepNewest(mergeBySeq(state.liveTail, batch), WINDOW_EVENTS);
      else state.events = keepNewest(mergeBySeq(state.events, batch), WINDOW_EVENTS);
      changed();
    };
    const stop = client.onNotification('event', (event) => {
      if (event.session !== session || event.seq <= held.current.lastSeq) return;
      held.current.lastSeq = event.seq;
      pending.push(event);
      timer ??= setTimeout(flush, FLUSH_MS);
    });
    void subscribe(client, session, held.current).then((apply) => {
      if (!live || !apply || held.current.session !== session) return;
      apply(held.current);
      changed();
    });
    return () => {
      live = false;
      stop();
      if (timer) clearTimeout(timer);
      void client.call('unsubscribe', { topic: `session:${session}`, ...onNode(node) }).catch(() => undefined);
    };
  }, [client, generation, session, node, held, changed]);
}

/** Subscribes to the session's events: resuming after the last seq held, or at first with the newest page. */
async function subscribe(client: Client, session: string, state: Held): Promise<((state: Held) => void) | undefined> {
  try {
    const resuming = state.lastSeq > 0;
    const subscribed = await client.call('subscribe', {
      topic: `session:${session}`,
      after: resuming ? state.lastSeq : undefined,
      ...onNode(state.node),
    });
    if (resuming) return undefined;
    const last = subscribed.last_seq ?? 0;
    const page = await newestPage(client, session, state.node, last);
    return (held) => {
      held.lastSeq = Math.max(held.lastSeq, last);
      held.events = keepNewest(mergeBySeq(page, held.events), WINDOW_EVENTS);
    };
  } catch {
    // Disconnected: the next generation subscribes again.
    return undefined;
  }
}

/** A page asked of the daemon, and how its answer changes the window. */
type PageRequest = (client: Client, session: string, state: Held) => Promise<(state: Held) => void>;

/** The page before the window (dropping the newest events past the limit). */
const olderPage: PageRequest = async (client, session, { events: held, node }) => {
  const first = held[0]?.seq ?? 1;
  const after = Math.max(0, first - 1 - PAGE);
  const { events } = await client.call('session_events', { session, after, limit: first - 1 - after, ...onNode(node) });
  return (state) => {
    const merged = mergeBySeq(events, state.events);
    if (merged.length <= WINDOW_EVENTS) return void (state.events = merged);
    state.events = merged.slice(0, WINDOW_EVENTS);
    state.hasNewer = true;
  };
};

/** The page after the window, joining the live tail once it reaches it. */
const newerPage: PageRequest = async (client, session, { events: held, node }) => {
  const last = held.at(-1)?.seq ?? 0;
  const page = await client.call('session_events', { session, after: last, limit: PAGE, ...onNode(node) });
  return (state) => {
    let events = mergeBySeq(state.events, page.events);
    const newest = events.at(-1)?.seq ?? 0;
    const joined = state.liveTail.length > 0 && newest + 1 >= state.liveTail[0]!.seq;
    if (joined) events = mergeBySeq(events, state.liveTail);
    if (joined || (page.next === null && state.liveTail.length === 0)) {
      state.hasNewer = false;
      state.liveTail = [];
    }
    state.events = keepNewest(events, WINDOW_EVENTS);
  };
};

/** The session's first events, in place of the window. */
const headPage: PageRequest = async (client, session, { node }) => {
  const { events } = await client.call('session_events', { session, after: 0, limit: PAGE, ...onNode(node) });
  return (state) => {
    state.events = events;
    state.hasNewer = (events.at(-1)?.seq ?? 0) < state.lastSeq;
  };
};

/** Back to the newest events, which then follow live. */
const tailPage: PageRequest = async (client, session, { lastSeq, node }) => {
  const events = await newestPage(client, session, node, lastSeq);
  return (state) => {
    state.events = keepNewest(mergeBySeq(events, state.liveTail), WINDOW_EVENTS);
    state.liveTail = [];
    state.hasNewer = false;
  };
};

/** The newest page of a session whose newest seq is `last`. */
async function newestPage(
  client: Client,
  session: string,
  node: string | undefined,
  last: number,
): Promise<SessionEvent[]> {
  const after = Math.max(0, last - PAGE);
  const { events } = await client.call('session_events', { session, after, limit: last - after || 1, ...onNode(node) });
  return events;
}

function keepNewest(events: SessionEvent[], count: number): SessionEvent[] {
  return events.length <= count ? events : events.slice(events.length - count);
}

/** Joins two seq-ordered runs of events into one, each seq once. */
export function mergeBySeq(a: SessionEvent[], b: SessionEvent[]): SessionEvent[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  if (a[a.length - 1]!.seq < b[0]!.seq) return [...a, ...b];
  if (b[b.length - 1]!.seq < a[0]!.seq) return [...b, ...a];
  const bySeq = new Map<number, SessionEvent>();
  for (const event of [...a, ...b]) bySeq.set(event.seq, event);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}
