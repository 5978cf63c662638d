import { encodedNotification } from '../../src/protocol/messages.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import type { Identity } from '../identity/identity.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Publisher, TopicFamily } from '../pubsub/subscriptions.js';
import type { EventLog } from './event-log.js';

const REPLAY_PAGE = 1000;

/**
 * The event as MessagePack, encoded once for all its subscribers (its payload as stored): every connection
 * copies the bytes of the whole notification instead of encoding it again; a node relaying it gets the event.
 */
function encodedOnce(event: SessionEvent, payload: Uint8Array): RawMsgpack {
  const { session, seq, time, turn, type } = event;
  return new RawMsgpack(encode({ session, seq, time, turn, type, payload: new RawMsgpack(payload) }));
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
  events.onCommitted((event, payload) => {
    const subscribers = delivered.get(event.session);
    if (subscribers === undefined) return;
    let wire: RawMsgpack | undefined;
    let message: RawMsgpack | undefined;
    for (const [subscriber, last] of subscribers) {
      if (event.seq <= last) continue;
      wire ??= encodedOnce(event, payload);
      message ??= encodedNotification('event', wire);
      const topic = `session:${event.session}` as const;
      if (publisher.send(subscriber, topic, 'event', wire, message)) subscribers.set(subscriber, event.seq);
    }
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
