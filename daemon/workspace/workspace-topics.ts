import type { Identity } from '../identity/identity.js';
import type { Outgoing, TopicOf } from '../../src/protocol/notifications.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Publisher, TopicFamily } from '../pubsub/subscriptions.js';

/**
 * `workspace:WORKSPACE`: what happens in a workspace outside any session —
 * `check_result` for checks run without a session, `term_exit` when one of its
 * terminals ends. The topic may name the workspace by id or by path.
 */
export class WorkspaceTopics {
  private readonly subscribers = new Map<string, Map<Subscriber, Set<`workspace:${string}`>>>();
  private readonly topics = new Map<string, string>();

  constructor(
    private readonly resolve: (ref: string, identity: Identity) => { id: string },
    private readonly publisher: Publisher,
  ) {}

  family(): TopicFamily<'workspace:'> {
    return {
      prefix: 'workspace:',
      subscribe: (topic, subscriber, call) => {
        const { id } = this.resolve(topic.slice('workspace:'.length), call.identity);
        this.topics.set(topic, id);
        let byWorkspace = this.subscribers.get(id);
        if (byWorkspace === undefined) {
          this.subscribers.set(id, (byWorkspace = new Map<Subscriber, Set<`workspace:${string}`>>()));
        }
        let topics = byWorkspace.get(subscriber);
        if (topics === undefined) byWorkspace.set(subscriber, (topics = new Set()));
        topics.add(topic);
        return {};
      },
      unsubscribe: (topic, subscriber) => {
        const id = this.topics.get(topic);
        const byWorkspace = id === undefined ? undefined : this.subscribers.get(id);
        const topics = byWorkspace?.get(subscriber);
        if (byWorkspace === undefined || topics === undefined) return;
        topics.delete(topic);
        if (topics.size === 0) byWorkspace.delete(subscriber);
        if (byWorkspace.size === 0) this.subscribers.delete(id!);
      },
    };
  }

  publish<N extends 'check_result' | 'term_exit'>(workspace: string, name: N, params: Outgoing<N>): void {
    for (const [subscriber, topics] of this.subscribers.get(workspace) ?? []) {
      // Subscribed under the workspace's id, its path or both: sent once, on the first of them.
      const [topic] = topics;
      if (topic !== undefined) this.publisher.send(subscriber, topic as TopicOf<N>, name, params);
    }
  }
}
