import { CortexError } from '../../src/protocol/errors.js';
import type { NodeUnreachable } from '../../src/protocol/tree-types.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Publisher, TopicFamily } from '../pubsub/subscriptions.js';

export const NODES_TOPIC = 'nodes:*';

/**
 * `nodes:*`: every node going out of reach (`node_unreachable`, with why and
 * when it was last heard) and coming back (`node_reachable`), so that a tree
 * of nodes greys and comes back without polling. Node names and states are no
 * secret to the users of a node: anyone may subscribe.
 */
export class NodesTopic {
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly publisher: Publisher) {}

  unreachable(notice: Omit<NodeUnreachable, 'topic'>): void {
    for (const subscriber of this.subscribers) {
      this.publisher.send(subscriber, NODES_TOPIC, 'node_unreachable', { ...notice, topic: null });
    }
  }

  reachable(node: string): void {
    for (const subscriber of this.subscribers) {
      this.publisher.send(subscriber, NODES_TOPIC, 'node_reachable', { node, topic: null });
    }
  }

  family(): TopicFamily<'nodes:'> {
    return {
      prefix: 'nodes:',
      subscribe: (topic, subscriber) => {
        if (topic !== NODES_TOPIC) {
          throw new CortexError('EINVAL', `The nodes topic is ${NODES_TOPIC}, not ${JSON.stringify(topic)}.`);
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
