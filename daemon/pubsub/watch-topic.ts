import { CortexError } from '../../src/protocol/errors.js';
import type { NotificationName, Notifications } from '../../src/protocol/notifications.js';
import type { Identity } from '../identity/identity.js';
import type { Subscriber, TopicFamily } from './subscriptions.js';

/**
 * A `NAME:*` topic that tells every subscriber of each change it may see, so
 * a client keeps a list current without polling it (a tree of workspaces or
 * terminals): `publish` names who may see the change.
 */
export class WatchTopic {
  private readonly watchers = new Map<Subscriber, Identity>();

  constructor(private readonly name: string) {}

  family(): TopicFamily {
    const topic = `${this.name}:*`;
    return {
      prefix: `${this.name}:`,
      subscribe: (asked, subscriber, call) => {
        if (asked !== topic) throw new CortexError('EINVAL', `The ${this.name} topic is ${topic}, not ${asked}.`);
        this.watchers.set(subscriber, call.identity);
        return { topic };
      },
      unsubscribe: (_topic, subscriber) => {
        this.watchers.delete(subscriber);
      },
    };
  }

  /** Sends a change to every subscriber `maySee` allows. */
  publish<M extends NotificationName>(
    method: M,
    params: Notifications[M],
    maySee: (identity: Identity) => boolean,
  ): void {
    for (const [subscriber, identity] of this.watchers) {
      if (subscriber.isOpen && maySee(identity)) subscriber.notify(method, params);
    }
  }
}
