import { CortexError } from '../../src/protocol/errors.js';
import type { Session } from '../../src/protocol/runtime-types.js';
import type { Identity } from '../identity/identity.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Publisher, TopicFamily } from '../pubsub/subscriptions.js';
import type { SessionManager } from './session-manager.js';

/**
 * `sessions:*`: every change to a session the subscriber may see (status,
 * turns, queue), as `[2, "session_update", {session}]`, so a tree of sessions
 * stays current without polling.
 */
export function sessionsTopic(sessions: SessionManager, publisher: Publisher): TopicFamily<'sessions:'> {
  const watchers = new Map<Subscriber, Identity>();
  sessions.onChange((session: Session) => {
    for (const [subscriber, identity] of watchers) {
      if (identity.admin || identity.name === session.owner) {
        publisher.send(subscriber, 'sessions:*', 'session_update', { session });
      }
    }
  });
  return {
    prefix: 'sessions:',
    subscribe(topic, subscriber, call) {
      if (topic !== 'sessions:*') throw new CortexError('EINVAL', `The sessions topic is sessions:*, not ${topic}.`);
      watchers.set(subscriber, call.identity);
      return {};
    },
    unsubscribe(_topic, subscriber) {
      watchers.delete(subscriber);
    },
  };
}
