import { writeNotification } from '../../src/protocol/messages.js';
import { Encoder } from '../../src/protocol/msgpack-encode.js';
import { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { Identity } from '../identity/identity.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { EncodedBatch, Publisher, TopicFamily } from '../pubsub/subscriptions.js';
import type { CommittedEvent, EventLog } from './event-log.js';

const REPLAY_PAGE = 1000;

/**
 * One session's events of one commit, encoded once for all their subscribers: each connection is handed the
 * same bytes, from the first event it lacks, in one write.
 */
function encodedEvents(group: readonly CommittedEvent[]): EncodedBatch<'event'> {
  const out = new Encoder(group.length * 128);
  const offsets: number[] = [];
  const cursors: number[] = [];
  for (const { event, payload } of group) {
    offsets.push(out.length);
    cursors.push(event.seq);
    const { session, seq, time, turn, type } = event;
    // The payload as stored: encoded once, when it was appended.
    writeNotification(out, 'event', { session, seq, time, turn, type, payload: new RawMsgpack(payload) });
  }
  return { params: group.map(({ event }) => event), bytes: out.detach(), offsets, cursors };
}

/** A commit's events grouped by session, each group in seq order. */
function bySession(batch: readonly CommittedEvent[]): Map<string, CommittedEvent[]> {
  const groups = new Map<string, CommittedEvent[]>();
  for (const committed of batch) {
    const group = groups.get(committed.event.session);
    if (group === undefined) groups.set(committed.event.session, [committed]);
    else group.push(committed);
  }
  return groups;
}

/**
 * `session:ID`: a session's events as `[2, "event", ...]`. With `after: N` the
 * subscriber first gets every committed event after N, then live ones; each
 * subscriber's last delivered seq is remembered, so an event committed while
 * the replay runs is sent exactly once, and never out of order. That seq is
 * also the cursor a subscriber that lagged resumes from.
 */
export function sessionTopics(
  events: EventLog,
  authorize: (identity: Identity, session: string) => void,
  publisher: Publisher,
): TopicFamily<'session:'> {
  const delivered = new Map<string, Map<Subscriber, number>>();
  const publish = (session: string, group: readonly CommittedEvent[]): void => {
    const subscribers = delivered.get(session);
    if (subscribers === undefined) return;
    const newest = group[group.length - 1]!.event.seq;
    let encoded: EncodedBatch<'event'> | undefined;
    for (const [subscriber, last] of subscribers) {
      if (newest <= last) continue;
      // A subscriber whose replay already sent part of the group gets the rest.
      const from = group.findIndex(({ event }) => event.seq > last);
      encoded ??= encodedEvents(group);
      if (publisher.sendAll(subscriber, `session:${session}`, 'event', encoded, from)) {
        subscribers.set(subscriber, newest);
      }
    }
  };
  events.onCommitted((batch) => {
    for (const [session, group] of bySession(batch)) publish(session, group);
  });
  return {
    prefix: 'session:',
    subscribe(topic, subscriber, call, after) {
      const session = topic.slice('session:'.length);
      authorize(call.identity, session);
      let subscribers = delivered.get(session);
      if (subscribers === undefined) delivered.set(session, (subscribers = new Map<Subscriber, number>()));
      let last = after ?? events.lastSeqOf(session);
      subscribers.set(subscriber, last);
      for (;;) {
        const page = events.read(session, last, REPLAY_PAGE);
        for (const event of page) {
          if (!publisher.send(subscriber, `session:${session}`, 'event', event)) return { last_seq: last };
          last = event.seq;
          subscribers.set(subscriber, last);
        }
        if (page.length < REPLAY_PAGE) break;
      }
      return { last_seq: last };
    },
    unsubscribe(topic, subscriber) {
      const session = topic.slice('session:'.length);
      const subscribers = delivered.get(session);
      subscribers?.delete(subscriber);
      if (subscribers?.size === 0) delivered.delete(session);
    },
    cursor(topic, subscriber) {
      return delivered.get(topic.slice('session:'.length))?.get(subscriber) ?? null;
    },
  };
}
