import { CortexError } from '../../src/protocol/errors.js';
import { encodedNotification } from '../../src/protocol/messages.js';
import type { ResultOf } from '../../src/protocol/methods.js';
import type { RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { NotificationName, Outgoing, TopicOf, TopicPrefix } from '../../src/protocol/notifications.js';
import type { CallContext } from '../server/caller.js';
import type { Subscriber } from './subscriber.js';

/** What a family adds to the `subscribe` answer (`last_seq` for a session's events). */
export type SubscribeAnswer = Omit<ResultOf<'subscribe'>, 'ok' | 'topic'>;

/**
 * One family of topics (`table:NAME`, `session:ID`, `fs:WORKSPACE`...). It
 * checks access and may answer the subscription with more than `ok` (a replay
 * position); it is told when a subscriber leaves.
 */
export interface TopicFamily<P extends TopicPrefix = TopicPrefix> {
  prefix: P;
  /** `after`: resume after this cursor (families with a history replay what follows it). */
  subscribe(
    topic: `${P}${string}`,
    subscriber: Subscriber,
    call: CallContext,
    after: number | undefined,
  ): SubscribeAnswer;
  unsubscribe?(topic: `${P}${string}`, subscriber: Subscriber): void;
  /** Where a subscriber resumes if it lags now: the cursor of the last notification it was sent (null: none). */
  cursor?(topic: `${P}${string}`, subscriber: Subscriber): number | null;
  /** Why the subscriber may not read the topic now, if it may not: asked when a right to read it was taken back. */
  whyNot?(topic: `${P}${string}`, subscriber: Subscriber): string | undefined;
}

type Topic = `${TopicPrefix}${string}`;

/** Sends a topic's notifications, within the limits on what a subscriber may leave unread. */
export interface Publisher {
  /**
   * Sends one notification to one subscriber of `topic`; false when that ended its subscription (it lagged).
   * `encoded`: the whole message from `encodedNotification`, when the same one goes to many subscribers.
   */
  send<N extends NotificationName>(
    subscriber: Subscriber,
    topic: TopicOf<N>,
    name: N,
    params: Outgoing<N>,
    encoded?: RawMsgpack,
  ): boolean;
  /**
   * Sends a batch's notifications from index `from` on to one subscriber, in order, as one write while it stays
   * within its limits as if they were sent one by one; false when that ended its subscription (it lagged, with
   * the cursor of the last notification it was sent).
   */
  sendAll<N extends NotificationName>(
    subscriber: Subscriber,
    topic: TopicOf<N>,
    name: N,
    batch: EncodedBatch<N>,
    from: number,
  ): boolean;
}

/** Notifications of one topic encoded once for all its subscribers. */
export interface EncodedBatch<N extends NotificationName> {
  params: readonly Outgoing<N>[];
  /** All of them encoded whole, back to back; shared by every subscriber and never changed. */
  bytes: Uint8Array;
  /** Where each one starts in `bytes`. */
  offsets: readonly number[];
  /** The cursor each one moves its subscriber to (a session event's seq). */
  cursors: readonly number[];
}

/**
 * How much output a subscriber may leave unread, as Redis's
 * `client-output-buffer-limit pubsub`: past `hardBytes` at once, or past
 * `softBytes` for `softMs`, its subscription ends with `lagged`.
 */
export interface SubscriptionLimits {
  hardBytes: number;
  softBytes: number;
  softMs: number;
}

/**
 * Who listens to what. Features publish to a topic; every subscriber of that
 * topic gets `[2, method, params]`. A subscriber that leaves its output unread
 * past the limits gets `lagged {topic, cursor}` instead, and that subscription
 * ends: the daemon's memory stays bounded and nobody waits for a slow reader.
 * A connection's subscriptions end with it, so nothing leaks when a client goes away.
 */
export class Subscriptions implements Publisher {
  private readonly families = new Map<string, TopicFamily>();
  private readonly byTopic = new Map<string, Set<Subscriber>>();
  private readonly bySubscriber = new Map<Subscriber, Set<string>>();
  /** Since when each subscriber has had more than the soft limit unread. */
  private readonly overSoft = new Map<Subscriber, number>();

  constructor(
    private readonly limits: SubscriptionLimits,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  register(family: TopicFamily): void {
    this.families.set(family.prefix, family);
  }

  /**
   * Subscribes, or fails (no such topic, no access) with nothing changed. The
   * subscriber is registered before the family replays any history, so a replay
   * past the limits ends it with `lagged` like a live stream would.
   */
  subscribe(topic: string, subscriber: Subscriber, call: CallContext, after?: number): SubscribeAnswer {
    const family = this.familyOf(topic);
    const already = this.isSubscribed(topic, subscriber);
    this.add(topic, subscriber);
    try {
      return family.subscribe(topic as Topic, subscriber, call, after);
    } catch (error) {
      if (!already) this.unsubscribe(topic, subscriber);
      throw error;
    }
  }

  /** Returns whether the subscriber was subscribed. */
  unsubscribe(topic: string, subscriber: Subscriber): boolean {
    const subscribers = this.byTopic.get(topic);
    if (!subscribers?.delete(subscriber)) return false;
    if (subscribers.size === 0) this.byTopic.delete(topic);
    this.bySubscriber.get(subscriber)?.delete(topic);
    this.familyOf(topic).unsubscribe?.(topic as Topic, subscriber);
    return true;
  }

  /** Ends every subscription of a subscriber that went away. */
  drop(subscriber: Subscriber): void {
    for (const topic of [...(this.bySubscriber.get(subscriber) ?? [])]) this.unsubscribe(topic, subscriber);
    this.bySubscriber.delete(subscriber);
    this.overSoft.delete(subscriber);
  }

  /**
   * Ends every stream the subscriber holds, telling it `reason` as a stream that lagged is told (a terminal's
   * with `term_dropped`, as its viewer's is): it may subscribe again from the cursor, judged again then.
   */
  endEvery(subscriber: Subscriber, reason: string): void {
    for (const topic of [...(this.bySubscriber.get(subscriber) ?? [])]) {
      if (topic.startsWith('term:')) this.endTerminal(topic, subscriber, reason);
      else this.endLagged(topic as Topic, subscriber, reason);
    }
  }

  /** A right to read `topic` was taken back: each subscriber its family finds may not read it now is ended, told why. */
  rejudge(topic: string): void {
    const family = this.familyOf(topic);
    for (const subscriber of [...(this.byTopic.get(topic) ?? [])]) {
      const reason = family.whyNot?.(topic as Topic, subscriber);
      if (reason !== undefined) this.endLagged(topic as Topic, subscriber, reason);
    }
  }

  isSubscribed(topic: string, subscriber: Subscriber): boolean {
    return this.byTopic.get(topic)?.has(subscriber) ?? false;
  }

  /** Sends a notification to every subscriber of `topic`. */
  publish<N extends NotificationName>(topic: TopicOf<N>, name: N, params: Outgoing<N>): void {
    const subscribers = this.byTopic.get(topic);
    if (subscribers === undefined) return;
    const encoded = subscribers.size > 1 ? encodedNotification(name, params) : undefined;
    for (const subscriber of subscribers) this.send(subscriber, topic, name, params, encoded);
  }

  send<N extends NotificationName>(
    subscriber: Subscriber,
    topic: TopicOf<N>,
    name: N,
    params: Outgoing<N>,
    encoded?: RawMsgpack,
  ): boolean {
    if (!this.mayReceive(subscriber, topic)) return false;
    subscriber.notify(name, params, topic, encoded);
    return true;
  }

  sendAll<N extends NotificationName>(
    subscriber: Subscriber,
    topic: TopicOf<N>,
    name: N,
    batch: EncodedBatch<N>,
    from: number,
  ): boolean {
    if (!this.mayReceive(subscriber, topic)) return false;
    const { params, bytes, offsets, cursors } = batch;
    // One by one, notification i would go out while the unread output before it is within the hard limit.
    const room = this.limits.hardBytes - subscriber.pendingBytes + offsets[from]!;
    let end = from + 1;
    while (end < offsets.length && offsets[end]! <= room) end++;
    const whole = from === 0 && end === offsets.length;
    subscriber.notifyAll(
      name,
      whole ? params : params.slice(from, end),
      topic,
      bytes.subarray(offsets[from], offsets[end] ?? bytes.length),
    );
    if (end === offsets.length) return true;
    this.endLagged(topic, subscriber, `it left more than ${this.limits.hardBytes} bytes unread`, cursors[end - 1]);
    return false;
  }

  /** Whether the subscriber is open and within its limits; one past them is ended with `lagged`. */
  private mayReceive(subscriber: Subscriber, topic: Topic): boolean {
    if (!subscriber.isOpen) return false;
    const lag = this.lagOf(subscriber);
    if (lag === undefined) return true;
    this.endLagged(topic, subscriber, lag);
    return false;
  }

  /** Whether the subscriber has any subscription left. */
  subscribed(subscriber: Subscriber): boolean {
    return (this.bySubscriber.get(subscriber)?.size ?? 0) > 0;
  }

  /**
   * Why a subscriber is past its limits, if it is: for streams sent to it other
   * than through `send` (another node's, relayed), so that they end by the same rule.
   */
  lag(subscriber: Subscriber): string | undefined {
    return this.lagOf(subscriber);
  }

  /** Why a subscriber is past its limits, if it is. */
  private lagOf(subscriber: Subscriber): string | undefined {
    const unread = subscriber.pendingBytes;
    const { hardBytes, softBytes, softMs } = this.limits;
    if (unread <= softBytes) {
      this.overSoft.delete(subscriber);
      return undefined;
    }
    if (unread > hardBytes) return `it left more than ${hardBytes} bytes unread`;
    const now = this.now();
    const since = this.overSoft.get(subscriber);
    // Over the soft limit since `since`, unless its output ran dry in between (a new spell then).
    if (since === undefined || subscriber.drainedAt > since) this.overSoft.set(subscriber, now);
    else if (now - since >= softMs) return `it left more than ${softBytes} bytes unread for ${softMs} ms`;
    return undefined;
  }

  /** `cursor`: where it resumes, when its family does not know yet (a batch cut short). */
  private endLagged(
    topic: Topic,
    subscriber: Subscriber,
    reason: string,
    cursor: number | null = this.familyOf(topic).cursor?.(topic, subscriber) ?? null,
  ): void {
    if (!this.unsubscribe(topic, subscriber)) return;
    subscriber.notify('lagged', { topic, cursor, reason }, topic);
    this.log(`connection ${subscriber.id}: ${topic} ended, ${reason} (lagged, resumes after ${cursor ?? 'nothing'})`);
  }

  private endTerminal(topic: string, subscriber: Subscriber, reason: string): void {
    if (!this.unsubscribe(topic, subscriber)) return;
    subscriber.notify('term_dropped', { id: topic.slice('term:'.length), reason }, topic);
    this.log(`connection ${subscriber.id}: ${topic} ended, ${reason} (term_dropped)`);
  }

  private add(topic: string, subscriber: Subscriber): void {
    let subscribers = this.byTopic.get(topic);
    if (subscribers === undefined) this.byTopic.set(topic, (subscribers = new Set()));
    subscribers.add(subscriber);
    let topics = this.bySubscriber.get(subscriber);
    if (topics === undefined) this.bySubscriber.set(subscriber, (topics = new Set()));
    topics.add(topic);
  }

  /** The family of a topic; a topic whose prefix no family has is refused. */
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
