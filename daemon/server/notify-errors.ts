import { CortexError } from '../../src/protocol/errors.js';
import type { NotifyFailed } from '../../src/protocol/notifications.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Publisher, TopicFamily } from '../pubsub/subscriptions.js';

export const NOTIFY_ERRORS_TOPIC = 'notify:errors';

/**
 * `notify:errors`: a connection that sends methods as notifications (no msgid,
 * so no answer) and wants to hear of their failures subscribes here, and gets a
 * `notify_failed {method, error}` for each of its own that failed. Others'
 * failures are never sent: they may name tables and identities.
 */
export class NotifyErrors {
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly publisher: Publisher) {}

  report(connection: Subscriber, failure: NotifyFailed): void {
    if (this.subscribers.has(connection)) {
      this.publisher.send(connection, NOTIFY_ERRORS_TOPIC, 'notify_failed', failure);
    }
  }

  family(): TopicFamily<'notify:'> {
    return {
      prefix: 'notify:',
      subscribe: (topic, subscriber) => {
        if (topic !== NOTIFY_ERRORS_TOPIC) {
          throw new CortexError('EINVAL', `The notify topic is ${NOTIFY_ERRORS_TOPIC}, not ${JSON.stringify(topic)}.`);
        }
        this.subscribers.add(subscriber);
        return {};
      },
      unsubscribe: (_topic, subscriber) => {
        this.subscribers.delete(subscriber);
      },
    };
  }
}
