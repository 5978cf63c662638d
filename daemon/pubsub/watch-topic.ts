import { CortexError } from '../../src/protocol/errors.js';
import type { NotificationName, Outgoing, TopicOf } from '../../src/protocol/notifications.js';
import type { Identity } from '../identity/identity.js';
import type { Subscriber } from './subscriber.js';
import type { Publisher, TopicFamily } from './subscriptions.js';

type WatchPrefix = 'workspaces:' | 'terminals:';

/**
 * A `NAME:*` topic that tells every subscriber of each change it may see, so
 * a client keeps a list current without polling it (a tree of workspaces or
 * terminals): `publish` names who may see the change.
 */
export class WatchTopic<P extends WatchPrefix> {
  private readonly watchers = new Map<Subscriber, Identity>();
  private publisher: Publisher | undefined;

  constructor(private readonly prefix: P) {}

  /** The family to register; changes go out through `publisher`, within its limits. */
  family(publisher: Publisher): TopicFamily<P> {
    this.publisher = publisher;
    const topic = `${this.prefix}*`;
    return {
      prefix: this.prefix,
      subscribe: (asked, subscriber, call) => {
        if (asked !== topic) throw new CortexError('EINVAL', `The topic is ${topic}, not ${asked}.`);
        this.watchers.set(subscriber, call.identity);
        return {};
      },
      unsubscribe: (_topic, subscriber) => {
        this.watchers.delete(subscriber);
      },
    };
  }

  /** Sends a change to every subscriber `maySee` allows. */
  publish<N extends NotificationName>(name: N, params: Outgoing<N>, maySee: (identity: Identity) => boolean): void {
    const topic = `${this.prefix}*` as TopicOf<N>;
    for (const [subscriber, identity] of this.watchers) {
      if (maySee(identity)) this.publisher?.send(subscriber, topic, name, params);
    }
  }
}
