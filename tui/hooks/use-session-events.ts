import { useCallback, useEffect, useRef, useState } from 'react';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { useConnection } from '../state/connection.js';

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
  events: SessionEvent[];
  hasNewer: boolean;
  /** The newest seq known to exist (loaded, announced by subscribe, or received live). */
  lastSeq: number;
  /** Live events received while the window is away from the tail, waiting for it to come back. */
  liveTail: SessionEvent[];
  /** A page request in flight: one at a time, so keys held down do not pile requests up. */
  loading: boolean;
}

const empty = (session: string | undefined): Held => ({
  session,
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
export function useSessionEvents(session: string | undefined): SessionEventsView {
  const { client, generation } = useConnection();
  const held = useRef<Held>(empty(session));
  const [, setVersion] = useState(0);
  const pending = useRef<SessionEvent[]>([]);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  if (held.current.session !== session) {
    held.current = empty(session);
    pending.current = [];
  }
  const changed = useCallback(() => setVersion((version) => version + 1), []);

  useEffect(() => {
    if (!client || session === undefined) return;
    let live = true;
    const flush = () => {
      timer.current = undefined;
      const batch = pending.current;
      pending.current = [];
      if (!live || batch.length === 0 || held.current.session !== session) return;
      const state = held.current;
      if (state.hasNewer) state.liveTail = keepNewest(mergeBySeq(state.liveTail, batch), WINDOW_EVENTS);
      else state.events = keepNewest(mergeBySeq(state.events, batch), WINDOW_EVENTS);
      changed();
    };
    const stop = client.onNotification('event', (event) => {
      if (event.session !== session || event.seq <= held.current.lastSeq) return;
      held.current.lastSeq = event.seq;
      pending.current.push(event);
      timer.current ??= setTimeout(flush, FLUSH_MS);
    });
    void (async () => {
      try {
        const resuming = held.current.lastSeq > 0;
        const subscribed = await client.call('subscribe', {
          topic: `session:${session}`,
          after: resuming ? held.current.lastSeq : undefined,
        });
        if (resuming || !live) return;
        const last = subscribed.last_seq ?? 0;
        const page = await newestPage(client, session, last);
        if (!live || held.current.session !== session) return;
        const state = held.current;
        state.lastSeq = Math.max(state.lastSeq, last);
        state.events = keepNewest(mergeBySeq(page, state.events), WINDOW_EVENTS);
        changed();
      } catch {
        // Disconnected: the next generation subscribes again.
      }
    })();
    return () => {
      live = false;
      stop();
      if (timer.current) clearTimeout(timer.current);
      timer.current = undefined;
      void client.call('unsubscribe', { topic: `session:${session}` }).catch(() => undefined);
    };
  }, [client, generation, session, changed]);

  /** Runs one page request at a time for the current session, applying its answer unless the session changed. */
  const load = useCallback(
    (request: (client: Client, session: string) => Promise<(state: Held) => void>) => {
      const state = held.current;
      if (!client || session === undefined || state.loading) return;
      state.loading = true;
      request(client, session).then(
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

  const loadOlder = useCallback(() => {
    const first = held.current.events[0]?.seq ?? 1;
    if (first <= 1) return;
    load(async (client, session) => {
      const after = Math.max(0, first - 1 - PAGE);
      const { events } = await client.call('session_events', { session, after, limit: first - 1 - after });
      return (state) => {
        const merged = mergeBySeq(events, state.events);
        if (merged.length <= WINDOW_EVENTS) return void (state.events = merged);
        state.events = merged.slice(0, WINDOW_EVENTS);
        state.hasNewer = true;
      };
    });
  }, [load]);

  const loadNewer = useCallback(() => {
    if (!held.current.hasNewer) return;
    const last = held.current.events.at(-1)?.seq ?? 0;
    load(async (client, session) => {
      const page = await client.call('session_events', { session, after: last, limit: PAGE });
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
    });
  }, [load]);

  const toHead = useCallback(() => {
    if ((held.current.events[0]?.seq ?? 1) <= 1) return;
    load(async (client, session) => {
      const { events } = await client.call('session_events', { session, after: 0, limit: PAGE });
      return (state) => {
        state.events = events;
        state.hasNewer = (events.at(-1)?.seq ?? 0) < state.lastSeq;
      };
    });
  }, [load]);

  const toTail = useCallback(() => {
    if (!held.current.hasNewer) return;
    load(async (client, session) => {
      const events = await newestPage(client, session, held.current.lastSeq);
      return (state) => {
        state.events = keepNewest(mergeBySeq(events, state.liveTail), WINDOW_EVENTS);
        state.liveTail = [];
        state.hasNewer = false;
      };
    });
  }, [load]);

  const state = held.current;
  return {
    events: state.events,
    hasOlder: (state.events[0]?.seq ?? 1) > 1,
    hasNewer: state.hasNewer,
    loadOlder,
    loadNewer,
    toHead,
    toTail,
  };
}

/** The newest page of a session whose newest seq is `last`. */
async function newestPage(client: Client, session: string, last: number): Promise<SessionEvent[]> {
  const after = Math.max(0, last - PAGE);
  const { events } = await client.call('session_events', { session, after, limit: last - after || 1 });
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
