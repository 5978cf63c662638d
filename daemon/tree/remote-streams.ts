import { CortexError } from '../../src/protocol/errors.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { type NotificationName, notifications, type Outgoing } from '../../src/protocol/notifications.js';
import type { TermOutput } from '../../src/protocol/terminal-types.js';
import type { NodeUnreachable } from '../../src/protocol/tree-types.js';
import type { Logger } from '../logger.js';
import type { NodeCalls } from '../mesh/node-calls.js';
import type { StreamMessage } from '../mesh/wire.js';
import type { Subscriber } from '../pubsub/subscriber.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { CallContext } from '../server/caller.js';
import { ViewerLag } from '../terminals/viewer-lag.js';

/** How a stream of another node was asked for: `subscribe` for topics, `term_attach` for a terminal. */
export type StreamMethod = 'subscribe' | 'term_attach';

/** One subscription of a local connection to a topic of another node. */
export interface RemoteStream {
  subscriber: Subscriber;
  conn: string;
  node: string;
  topic: string;
  method: StreamMethod;
  params: Record<string, MsgValue>;
  /** Whose it is: taking it up again after a pause acts for the same caller. */
  call: CallContext;
  /** opening: the subscribe call is out; paused: the node is out of reach. */
  state: 'opening' | 'open' | 'paused';
  /**
   * Where the subscriber is: the seq of the last session event delivered, or a terminal's offset
   * past the last byte delivered. Resumed after it; repeats dropped.
   */
  cursor: number | null;
  /** Terminal output that came before the attach's answer (the scrollback), sent after it. */
  held: [NotificationName, unknown][];
  /** Terminals: the slow-viewer rule, applied again here. */
  viewer: ViewerLag | undefined;
}

export interface RemoteStreamsContext {
  me: string;
  calls: NodeCalls;
  subscriptions: Subscriptions;
  /** Sends a call to another node for a local caller, as the router does. */
  forward(node: string, method: string, params: Record<string, MsgValue>, call: CallContext): Promise<MsgValue>;
  /** Why a node cannot be reached now. */
  unreachable(node: string): CortexError;
  connKey(subscriber: Subscriber): string;
  viewerLimits: { maxPendingBytes: number; graceMs: number };
  log: Logger;
}

/**
 * Streams of other nodes (a session's events, a terminal's output, a
 * workspace's files), relayed to local subscribers as if they were this
 * node's. The node that holds the topic subscribes a stand-in for the local
 * connection (RemoteCaller) and sends each notification back tagged with its
 * topic; here it goes to the connection under the same rules as a local stream:
 * past the subscription limits it ends with `lagged` (with its cursor and node),
 * a terminal viewer that falls behind is dropped with `term_dropped`.
 *
 * When the node goes out of reach, each stream pauses and its subscriber gets
 * `node_unreachable`; when it is back the stream is taken up again from the last
 * event seq delivered (`session:` topics: nothing lost, nothing twice), from the
 * offset past the last terminal byte delivered (`term:`: attached again after it,
 * what the terminal's scrollback still holds of the pause sent first), or again
 * from now (topics with no history), and the subscriber gets `node_reachable`.
 */
export class RemoteStreams {
  private readonly streams = new Map<string, RemoteStream>();
  private readonly bySubscriber = new Map<Subscriber, Set<RemoteStream>>();

  constructor(private readonly ctx: RemoteStreamsContext) {}

  /** Subscribes `call.caller` to `topic` on `node`; resolves with that node's answer. */
  async open(
    node: string,
    topic: string,
    method: StreamMethod,
    params: Record<string, MsgValue>,
    call: CallContext,
  ): Promise<MsgValue> {
    const subscriber = call.caller;
    const conn = this.ctx.connKey(subscriber);
    const key = keyOf(conn, node, topic);
    let stream = this.streams.get(key);
    if (stream === undefined) {
      stream = {
        subscriber,
        conn,
        node,
        topic,
        method,
        params,
        call,
        state: 'opening',
        cursor: null,
        held: [],
        viewer: topic.startsWith('term:')
          ? new ViewerLag(this.ctx.viewerLimits.maxPendingBytes, this.ctx.viewerLimits.graceMs)
          : undefined,
      };
      this.add(key, stream);
    }
    Object.assign(stream, { method, params, call, state: 'opening' });
    // A subscribe with `after` starts over from there, as it does on the node itself.
    const after = params['after'];
    if (typeof after === 'number') stream.cursor = after;
    let answer: MsgValue;
    try {
      answer = await this.ctx.forward(node, method, params, call);
    } catch (error) {
      this.remove(stream);
      throw error;
    }
    this.opened(stream, answer);
    return answer;
  }

  /** The stream of `subscriber` for `topic` (on `node`, or on any node), if there is one. */
  find(subscriber: Subscriber, topic: string, node?: string): RemoteStream | undefined {
    for (const stream of this.bySubscriber.get(subscriber) ?? []) {
      if (stream.topic === topic && (node === undefined || stream.node === node)) return stream;
    }
    return undefined;
  }

  /** Ends a stream the subscriber no longer wants (the router tells its node). */
  close(stream: RemoteStream): void {
    this.remove(stream);
  }

  /** A notification of another node for one of this node's connections. */
  deliver(message: StreamMessage): void {
    const stream = this.streams.get(keyOf(message.conn, message.from, message.topic));
    if (stream === undefined) {
      // Nobody here wants it (it was unsubscribed, or the connection closed): tell the node to stop.
      this.release(message.from, message.conn, message.topic);
      return;
    }
    const name = notificationOf(message.name, message.topic);
    if (name === undefined) {
      this.ctx.log.warn(`tree: ${message.from} sent ${message.name} on ${message.topic}, which it does not carry`);
      return;
    }
    if (stream.state === 'paused') return;
    if (stream.state === 'opening' && stream.viewer !== undefined) {
      stream.held.push([name, message.params]);
      return;
    }
    this.send(stream, name, message.params);
  }

  /** The node went out of reach: its streams pause (terminal attaches end), and their subscribers hear why. */
  nodeDown(node: string): void {
    const error = this.ctx.unreachable(node);
    const data = (error.data ?? {}) as Partial<NodeUnreachable>;
    const notice = (topic: string): NodeUnreachable => ({
      node,
      reason: data.reason ?? 'link_down',
      message: error.message,
      last_heard: data.last_heard ?? null,
      topic,
    });
    for (const stream of [...this.streams.values()]) {
      if (stream.node !== node || stream.state === 'paused') continue;
      stream.state = 'paused';
      stream.held = [];
      if (stream.subscriber.isOpen) stream.subscriber.notify('node_unreachable', notice(stream.topic));
    }
  }

  /** The node is back: each paused stream subscribes again from where it stopped. */
  nodeUp(node: string): void {
    for (const stream of [...this.streams.values()]) {
      if (stream.node === node && stream.state === 'paused') void this.resume(stream);
    }
  }

  /** The connection closed: its streams end here and on their nodes. */
  drop(subscriber: Subscriber): void {
    const streams = this.bySubscriber.get(subscriber);
    if (streams === undefined) return;
    const nodes = new Set<string>();
    for (const stream of [...streams]) {
      nodes.add(stream.node);
      this.remove(stream);
    }
    const conn = this.ctx.connKey(subscriber);
    for (const node of nodes) this.release(node, conn, null);
  }

  get size(): number {
    return this.streams.size;
  }

  private async resume(stream: RemoteStream): Promise<void> {
    stream.state = 'opening';
    const { topic } = stream;
    // Its old subscription there, if the node still holds it, ends first (the links keep the order).
    this.release(stream.node, stream.conn, topic);
    const after: Record<string, MsgValue> = stream.cursor === null ? {} : { after: stream.cursor };
    const params: Record<string, MsgValue> =
      stream.method === 'term_attach' ? { id: topic.slice('term:'.length), ...after } : { topic, ...after };
    try {
      const answer = await this.ctx.forward(stream.node, stream.method, params, stream.call);
      if (this.streams.get(keyOf(stream.conn, stream.node, topic)) !== stream) return;
      if (stream.method === 'term_attach') this.sendMissed(stream, answer);
      this.opened(stream, answer);
      if (stream.subscriber.isOpen) stream.subscriber.notify('node_reachable', { node: stream.node, topic });
    } catch (error) {
      if (error instanceof CortexError && error.code === 'EUNREACHABLE') {
        stream.state = 'paused';
        return;
      }
      const reason = `it could not be taken up again on ${stream.node}: ${error instanceof Error ? error.message : String(error)}`;
      this.end(stream, reason);
    }
  }

  /** A terminal attached again: what its scrollback holds of the output since the cursor goes first. */
  private sendMissed(stream: RemoteStream, answer: MsgValue): void {
    if (!isMap(answer) || !(answer['scrollback'] instanceof Uint8Array) || typeof answer['offset'] !== 'number') return;
    const data = answer['scrollback'];
    // Output older than the scrollback holds is lost for good: the bytes held follow with no gap check.
    stream.cursor = answer['offset'] - data.length;
    if (data.length > 0)
      this.send(stream, 'term_output', { id: stream.topic.slice('term:'.length), data, offset: stream.cursor });
  }

  private opened(stream: RemoteStream, answer: MsgValue): void {
    stream.state = 'open';
    const at = isMap(answer) ? answer : {};
    // A terminal's bytes follow its scrollback's end; a session stream subscribed from now on
    // resumes after the last event sent before it.
    if (typeof at['offset'] === 'number') stream.cursor = at['offset'];
    const last = at['last_seq'];
    if (typeof last === 'number' && (stream.cursor === null || stream.cursor < last)) stream.cursor = last;
    if (stream.held.length === 0) return;
    // After the answer (the scrollback) has gone to the subscriber.
    setImmediate(() => {
      const held = stream.held;
      stream.held = [];
      for (const [name, params] of held) {
        if (this.streams.get(keyOf(stream.conn, stream.node, stream.topic)) !== stream) return;
        this.send(stream, name, params);
      }
    });
  }

  private send(stream: RemoteStream, name: NotificationName, sent: unknown): void {
    const { subscriber } = stream;
    if (!subscriber.isOpen) return;
    const params = name === 'term_output' ? unseenBytes(sent, stream.cursor) : sent;
    if (params === undefined) return;
    const at = positionOf(name, params);
    const expected = stream.cursor === null ? undefined : name === 'term_output' ? stream.cursor : stream.cursor + 1;
    if (at !== undefined && expected !== undefined) {
      if (at < expected) return;
      // Events or bytes were lost on the way (the route went and came back between two checks,
      // or the node's old subscription runs ahead of the one taken up again): the stream is taken
      // up again after the last one delivered, which sends the rest in order.
      if (at > expected) {
        if (stream.state === 'open') void this.resume(stream);
        return;
      }
    }
    if (name === 'lagged' || name === 'term_dropped') {
      // The node ended the stream by its own rule: so is it here.
      this.remove(stream);
      if (name === 'term_dropped') subscriber.notify('term_dropped', params as Outgoing<'term_dropped'>);
      else this.notifyLagged(stream, `on ${stream.node}: ${isMap(params) ? String(params['reason']) : 'it lagged'}`);
      return;
    }
    const lag = stream.viewer !== undefined ? stream.viewer.reason(subscriber) : this.ctx.subscriptions.lag(subscriber);
    if (lag !== undefined) {
      this.end(stream, lag);
      return;
    }
    subscriber.notify(name, params as Outgoing<NotificationName>);
    if (at !== undefined) stream.cursor = name === 'term_output' ? at + (params as TermOutput).data.length : at;
  }

  /** Ends a stream here and on its node, telling the subscriber as a local stream would. */
  private end(stream: RemoteStream, reason: string): void {
    this.remove(stream);
    this.release(stream.node, stream.conn, stream.topic);
    if (!stream.subscriber.isOpen) return;
    if (stream.viewer !== undefined) {
      stream.subscriber.notify('term_dropped', { id: stream.topic.slice('term:'.length), reason });
    } else {
      this.notifyLagged(stream, reason);
    }
    this.ctx.log.info(`connection ${stream.subscriber.id}: ${stream.topic} on ${stream.node} ended, ${reason}`);
  }

  private notifyLagged(stream: RemoteStream, reason: string): void {
    const { topic, cursor, node } = stream;
    stream.subscriber.notify('lagged', { topic, cursor: topic.startsWith('session:') ? cursor : null, reason, node });
  }

  private release(node: string, conn: string, topic: string | null): void {
    this.ctx.calls.notify(node, 'release', { to: node, from: this.ctx.me, conn, topic });
  }

  private add(key: string, stream: RemoteStream): void {
    this.streams.set(key, stream);
    let streams = this.bySubscriber.get(stream.subscriber);
    if (streams === undefined) this.bySubscriber.set(stream.subscriber, (streams = new Set()));
    streams.add(stream);
  }

  private remove(stream: RemoteStream): void {
    const key = keyOf(stream.conn, stream.node, stream.topic);
    if (this.streams.get(key) === stream) this.streams.delete(key);
    const streams = this.bySubscriber.get(stream.subscriber);
    streams?.delete(stream);
    if (streams?.size === 0) this.bySubscriber.delete(stream.subscriber);
    stream.viewer?.forget(stream.subscriber);
  }
}

function keyOf(conn: string, node: string, topic: string): string {
  return `${conn}\u0000${node}\u0000${topic}`;
}

/** The notification, if it is one a stream of this topic carries (as the notification table says). */
function notificationOf(name: string, topic: string): NotificationName | undefined {
  if (!Object.hasOwn(notifications, name)) return undefined;
  const known = name as NotificationName;
  if (known === 'lagged') return known;
  const prefix = topic.slice(0, topic.indexOf(':') + 1);
  return (notifications[known].topics as readonly string[]).includes(prefix) ? known : undefined;
}

/** Where a notification is in its stream: a session event's seq, the offset of a terminal's bytes. */
function positionOf(name: NotificationName, params: unknown): number | undefined {
  if (!isMap(params)) return undefined;
  const position = name === 'event' ? params['seq'] : name === 'term_output' ? params['offset'] : undefined;
  return typeof position === 'number' ? position : undefined;
}

/** A terminal's output less the bytes the subscriber already has (before `cursor`); undefined when it has them all. */
function unseenBytes(params: unknown, cursor: number | null): TermOutput | undefined {
  const output = params as TermOutput;
  if (cursor === null || output.offset >= cursor) return output;
  const seen = cursor - output.offset;
  return seen >= output.data.length ? undefined : { ...output, data: output.data.subarray(seen), offset: cursor };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
