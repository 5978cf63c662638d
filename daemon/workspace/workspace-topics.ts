import type { Identity } from '../identity/identity.js';
import type { Subscriber, TopicFamily } from '../pubsub/subscriptions.js';

/**
 * `workspace:WORKSPACE`: what happens in a workspace outside any session —
 * `check_result` for checks run without a session, `term_exit` when one of its
 * terminals ends. The topic may name the workspace by id or by path.
 */
export class WorkspaceTopics {
  private readonly subscribers = new Map<string, Map<Subscriber, Set<string>>>();
  private readonly topics = new Map<string, string>();

  constructor(private readonly resolve: (ref: string, identity: Identity) => { id: string }) {}

  family(): TopicFamily {
    return {
      prefix: 'workspace:',
      subscribe: (topic, subscriber, call) => {
        const { id } = this.resolve(topic.slice('workspace:'.length), call.identity);
        this.topics.set(topic, id);
        let byWorkspace = this.subscribers.get(id);
        if (byWorkspace === undefined) this.subscribers.set(id, (byWorkspace = new Map<Subscriber, Set<string>>()));
        let topics = byWorkspace.get(subscriber);
        if (topics === undefined) byWorkspace.set(subscriber, (topics = new Set()));
        topics.add(topic);
        return { topic, workspace: id };
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

  publish(workspace: string, method: string, params: unknown): void {
    for (const subscriber of this.subscribers.get(workspace)?.keys() ?? []) {
      if (subscriber.isOpen) subscriber.notify(method, params);
    }
  }
}
