import { useCallback, useEffect, useRef, useState } from 'react';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { useConnection } from '../state/connection.js';

export interface SessionEventsView {
  events: SessionEvent[];
  /** True while there are older events in the daemon than the oldest loaded. */
  hasOlder: boolean;
  loadOlder: () => void;
}

/** How many events to load at first and per page further back. */
const PAGE = 500;
/** Live events are applied at most this often, so a fast stream costs at most ~30 renders a second. */
const FLUSH_MS = 33;

/**
 * A session's events: the newest page at first, older pages on demand, and
 * live events from `session:ID`, batched into one update per frame. After a
 * reconnection it subscribes again from the last seq it holds, so nothing is
 * missed or repeated.
 */
export function useSessionEvents(session: string | undefined): SessionEventsView {
  const { client, generation } = useConnection();
  const [events, setEvents] = useState<SessionEvent[]>([]);
  const held = useRef<{ session: string | undefined; lastSeq: number }>({ session: undefined, lastSeq: 0 });
  const pending = useRef<SessionEvent[]>([]);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);

  useEffect(() => {
    if (held.current.session !== session) {
      held.current = { session, lastSeq: 0 };
      pending.current = [];
      setEvents([]);
    }
    if (!client || session === undefined) return;
    let live = true;
    const flush = () => {
      timer.current = undefined;
      const batch = pending.current;
      pending.current = [];
      if (live && batch.length > 0) setEvents((current) => mergeBySeq(current, batch));
    };
    const stop = client.onNotification((method, params) => {
      const event = params as unknown as SessionEvent;
      if (method !== 'event' || event.session !== session || event.seq <= held.current.lastSeq) return;
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
        const after = Math.max(0, last - PAGE);
        const page = await client.call('session_events', { session, after, limit: last - after || 1 });
        if (!live) return;
        held.current.lastSeq = Math.max(held.current.lastSeq, last);
        setEvents((current) => mergeBySeq(page.events, current));
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
  }, [client, generation, session]);

  const loadOlder = useCallback(() => {
    const first = events[0]?.seq ?? 1;
    if (!client || session === undefined || first <= 1) return;
    const after = Math.max(0, first - 1 - PAGE);
    client.call('session_events', { session, after, limit: first - 1 - after }).then(
      (page) => setEvents((current) => mergeBySeq(page.events, current)),
      () => undefined,
    );
  }, [client, session, events]);

  return { events, hasOlder: (events[0]?.seq ?? 1) > 1, loadOlder };
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
