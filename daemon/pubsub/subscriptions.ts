import { CortexError } from '../../src/protocol/errors.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { CallContext } from '../handlers/types.js';

/** Someone who can receive notifications: a connection. */
export interface Subscriber {
  readonly id: number;
  notify(method: string, params: unknown): void;
  readonly isOpen: boolean;
  /** Output queued for it and not yet taken by the peer, for streams that drop a slow reader rather than wait. */
  readonly pendingBytes?: number;
}

/**
 * One family of topics (`table:NAME`, `session:ID`, `fs:WORKSPACE`...). It
 * checks access and may answer the subscription with a result (such as a
 * replay position); it is told when a subscriber leaves.
 */
export interface TopicFamily {
  prefix: string;
  subscribe(topic: string, subscriber: Subscriber, call: CallContext, options: Record<string, MsgValue>): unknown;
  unsubscribe?(topic: string, subscriber: Subscriber): void;
}

/**
 * Who listens to what. Features publish to a topic; every subscriber of that
 * topic gets `[2, method, params]`. A connection's subscriptions end with it,
 * so nothing leaks when a client goes away.
 */
export class Subscriptions {
  private readonly families = new Map<string, TopicFamily>();
  private readonly byTopic = new Map<string, Set<Subscriber>>();
  private readonly bySubscriber = new Map<Subscriber, Set<string>>();

  register(family: TopicFamily): void {
    this.families.set(family.prefix, family);
  }

  subscribe(topic: string, subscriber: Subscriber, call: CallContext, options: Record<string, MsgValue>): unknown {
    const family = this.familyOf(topic);
    const result = family.subscribe(topic, subscriber, call, options);
    let subscribers = this.byTopic.get(topic);
    if (subscribers === undefined) this.byTopic.set(topic, (subscribers = new Set()));
    subscribers.add(subscriber);
    let topics = this.bySubscriber.get(subscriber);
    if (topics === undefined) this.bySubscriber.set(subscriber, (topics = new Set()));
    topics.add(topic);
    return result;
  }

  /** Returns whether the subscriber was subscribed. */
  unsubscribe(topic: string, subscriber: Subscriber): boolean {
    const subscribers = this.byTopic.get(topic);
    if (!subscribers?.delete(subscriber)) return false;
    if (subscribers.size === 0) this.byTopic.delete(topic);
    this.bySubscriber.get(subscriber)?.delete(topic);
    this.familyOf(topic).unsubscribe?.(topic, subscriber);
    return true;
  }

  /** Ends every subscription of a subscriber that went away. */
  drop(subscriber: Subscriber): void {
    for (const topic of [...(this.bySubscriber.get(subscriber) ?? [])]) this.unsubscribe(topic, subscriber);
    this.bySubscriber.delete(subscriber);
  }

  /** Whether the subscriber still has a topic starting with `prefix` (a family's last one may be going). */
  hasSubscriptionsWithPrefix(subscriber: Subscriber, prefix: string): boolean {
    for (const topic of this.bySubscriber.get(subscriber) ?? []) if (topic.startsWith(prefix)) return true;
    return false;
  }

  hasSubscribers(topic: string): boolean {
    return (this.byTopic.get(topic)?.size ?? 0) > 0;
  }

  subscribers(topic: string): ReadonlySet<Subscriber> {
    return this.byTopic.get(topic) ?? new Set();
  }

  publish(topic: string, method: string, params: unknown): void {
    const subscribers = this.byTopic.get(topic);
    if (subscribers === undefined) return;
    for (const subscriber of subscribers) if (subscriber.isOpen) subscriber.notify(method, params);
  }

  private familyOf(topic: string): TopicFamily {
    const prefix = topic.slice(0, topic.indexOf(':') + 1);
    const family = prefix ? this.families.get(prefix) : undefined;
    if (family === undefined) {
      const known = [...this.families.keys()].map((name) => `${name}...`).join(', ');
      throw new CortexError('EINVAL', `${JSON.stringify(topic)} is not a topic; topics are ${known}.`);
    }
    return family;
  }
}
