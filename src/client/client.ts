import type { Duplex } from 'node:stream';
import { formatMs } from '../format-ms.js';
import { CortexError, errorFromWire, errorMessage } from '../protocol/errors.js';
import type { MethodName, Methods, ParamsOf, ResultOf } from '../protocol/methods.js';
import type { MsgValue } from '../protocol/msgpack-types.js';
import type { Lagged, NotificationName, Notifications } from '../protocol/notifications.js';
import { Endpoint, type EndpointState } from '../rpc/endpoint.js';
import type { ReadBuffer } from '../rpc/read-buffer.js';
import { ClientSocket } from './client-socket.js';
import { directWrites } from './direct-writes.js';
import { ListenerList } from './listener-list.js';

export type ConnectionState = EndpointState;
/** Every notification as it came off the wire, for generic tools and tests. */
export type RawNotificationListener = (method: string, params: MsgValue) => void;

/** Methods that may be sent as notifications: they do something, and no answer is needed. */
export type NotifiableMethod = {
  [M in MethodName]: Methods[M]['needsAnswer'] extends true ? never : M;
}[MethodName];

/** What the client did after a subscription lagged: it subscribed again from the cursor, or failed to. */
export type Resubscribed = Lagged & ({ result: ResultOf<'subscribe'> } | { error: CortexError });

export interface CallOptions {
  /** Milliseconds before the call fails with ETIMEDOUT; 0 waits as long as the connection lives. */
  timeoutMs?: number;
}

export interface ClientOptions {
  /** The deadline of calls made without their own; 0 (the default) waits as long as the connection lives. */
  callTimeoutMs?: number;
  /** The stream is still connecting: the client is `connecting` until it emits this event. */
  openOn?: 'connect' | 'secureConnect';
  /** Who answers, as errors name it: `the daemon on /run/cortex/cortex.sock`. */
  remote?: string;
  /**
   * A heartbeat for connections that wait on notifications: after a third of this
   * many ms with nothing from the daemon a ping goes out, and after this many ms of
   * silence the connection is given up as dead. 0 (the default) sends none.
   */
  silenceMs?: number;
  /** The buffer the stream (a socket created with `onread: reads.onread`) reads into. */
  reads?: ReadBuffer;
  /** Writes to the socket beneath the stream while it has nothing queued (EndpointOptions.writeSome). */
  writeSome?: (bytes: Uint8Array) => number;
}

/**
 * A msgpack-rpc client of the daemon over any byte stream (a Unix socket, TLS,
 * an ssh pipe), on the shared endpoint. Calls made in the same turn of the event
 * loop go out in one write; answers are matched by msgid, so calls may be
 * pipelined freely. When the stream closes, every pending call fails with
 * ECLOSED. A subscription the daemon ends with `lagged` (this client read too
 * slowly) is taken up again from its cursor, and `onResubscribe` says so.
 */
export class Client {
  private readonly endpoint: Endpoint;
  private readonly rawListeners = new ListenerList<RawNotificationListener>();
  private readonly listeners = new Map<string, ListenerList<(params: never) => void>>();
  private readonly closeListeners = new Set<() => void>();
  private readonly resubscribeListeners = new Set<(event: Resubscribed) => void>();
  private readonly stream: Duplex;
  private readonly remote: string;
  private lost: CortexError | undefined;
  private closedByClient = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private heardAt = Date.now();

  constructor(stream: Duplex, options: ClientOptions = {}) {
    this.stream = stream;
    this.remote = options.remote ?? 'the daemon';
    this.endpoint = new Endpoint(stream, {
      remote: this.remote,
      callTimeoutMs: options.callTimeoutMs ?? 0,
      ...(options.openOn === undefined ? {} : { openOn: options.openOn }),
      ...(options.reads === undefined ? {} : { reads: options.reads }),
      ...(options.writeSome === undefined ? {} : { writeSome: options.writeSome }),
      handler: {
        notification: (method, params) => this.notified(method, params),
        closed: (reason) => this.closed(reason),
      },
    });
    if (options.silenceMs) this.startHeartbeat(options.silenceMs);
  }

  get state(): ConnectionState {
    return this.endpoint.state;
  }

  /** Why the connection was lost, once it was; undefined while open or when close() ended it. */
  get failure(): CortexError | undefined {
    return this.lost;
  }

  /** Resolves once the stream is open; rejects with its error if it fails first. */
  get opened(): Promise<void> {
    return this.endpoint.opened;
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, options?: CallOptions): Promise<ResultOf<M>> {
    return this.request(method, params, options) as Promise<ResultOf<M>>;
  }

  /** A call by name with unchecked params: for generic tools and tests of bad input. */
  request(method: string, params: unknown, options: CallOptions = {}): Promise<unknown> {
    return options.timeoutMs === undefined
      ? this.endpoint.request(method, params)
      : this.endpoint.request(method, params, options.timeoutMs);
  }

  /**
   * Sends a method as a notification: it runs, and no answer comes back. A failure
   * is logged by the daemon, and sent as `notify_failed` to a client subscribed to
   * `notify:errors`.
   */
  notify<M extends NotifiableMethod>(method: M, params: ParamsOf<M>): void {
    this.endpoint.notify(method, params);
  }

  /** Calls `listener` with each `name` notification's params. */
  onNotification<N extends NotificationName>(name: N, listener: (params: Notifications[N]) => void): () => void;
  /** Calls `listener` with every notification, as it came off the wire. */
  onNotification(listener: RawNotificationListener): () => void;
  onNotification<N extends NotificationName>(
    nameOrListener: N | RawNotificationListener,
    listener?: (params: Notifications[N]) => void,
  ): () => void {
    if (typeof nameOrListener === 'function') return this.rawListeners.add(nameOrListener);
    let named = this.listeners.get(nameOrListener);
    if (named === undefined) this.listeners.set(nameOrListener, (named = new ListenerList()));
    return named.add(listener!);
  }

  /** Told each time a lagged subscription was taken up again (or could not be). */
  onResubscribe(listener: (event: Resubscribed) => void): () => void {
    this.resubscribeListeners.add(listener);
    return () => this.resubscribeListeners.delete(listener);
  }

  /**
   * Told once the connection is closed, by either side. A listener added after
   * it closed is told too (in a microtask, after this returns): one that waited
   * for a close that had already happened would wait forever.
   */
  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    if (this.state === 'closed') queueMicrotask(() => this.closeListeners.delete(listener) && listener());
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.closedByClient = true;
    // Once what was written is out, the stream goes, without waiting for the daemon to close its end:
    // a daemon that stopped answering (paused, wedged) never would, and this process would wait for it.
    this.stream.once('finish', () => this.stream.destroy());
    this.endpoint.close('The connection was closed by the client.');
  }

  /**
   * A paused or wedged daemon keeps its socket open but says nothing: the only way
   * to tell is to ask. Any bytes from it count as a sign of life.
   */
  private startHeartbeat(silenceMs: number): void {
    const period = Math.max(10, Math.floor(silenceMs / 3));
    // Reads are counted, not timed: a read is heard at the first tick after it, so silence is never overstated.
    let reads = this.endpoint.readCount;
    this.heartbeat = setInterval(() => {
      if (this.endpoint.readCount !== reads) {
        reads = this.endpoint.readCount;
        this.heardAt = Date.now();
      }
      const silent = Date.now() - this.heardAt;
      if (silent >= silenceMs) {
        this.lost = new CortexError(
          'ETIMEDOUT',
          `${capitalize(this.remote)} stopped answering: nothing came for ${formatMs(silent)}, not even a heartbeat.`,
        );
        this.endpoint.destroy(this.lost.message);
      } else if (silent >= period) {
        this.endpoint.request('ping', {}, 0).catch(() => undefined);
      }
    }, period);
    this.heartbeat.unref();
  }

  private closed(reason: string): void {
    clearInterval(this.heartbeat);
    if (!this.closedByClient) this.lost ??= new CortexError('ECLOSED', reason);
    for (const listener of [...this.closeListeners]) listener();
  }

  private notified(method: string, params: MsgValue): void {
    for (const listener of this.rawListeners.all) listener(method, params);
    const named = this.listeners.get(method);
    if (named !== undefined) for (const listener of named.all) (listener as (params: MsgValue) => void)(params);
    if (method === 'lagged') this.resubscribe(params);
    // The daemon says why it is about to close the connection: pending calls fail with that, not ECLOSED.
    if (method === 'error') this.endpoint.failPendingOnCloseWith(errorFromWire(params));
  }

  /** Subscribes again from where a lagged subscription stopped, then tells the listeners. */
  private resubscribe(params: MsgValue): void {
    const lagged = asLagged(params);
    if (lagged === undefined) return;
    const again = {
      topic: lagged.topic,
      ...(lagged.cursor === null ? {} : { after: lagged.cursor }),
      ...(lagged.node === undefined ? {} : { node: lagged.node }),
    };
    this.call('subscribe', again).then(
      (result) => this.resubscribed({ ...lagged, result }),
      (error: unknown) => {
        const failure = error instanceof CortexError ? error : new CortexError('EINTERNAL', errorMessage(error));
        this.resubscribed({ ...lagged, error: failure });
      },
    );
  }

  private resubscribed(event: Resubscribed): void {
    for (const listener of [...this.resubscribeListeners]) listener(event);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A `lagged` notification's params, checked: they come off the wire. */
function asLagged(params: MsgValue): Lagged | undefined {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const { topic, cursor, reason, node } = params as Record<string, MsgValue>;
  if (typeof topic !== 'string' || (cursor !== null && typeof cursor !== 'number')) return undefined;
  return {
    topic,
    cursor,
    reason: typeof reason === 'string' ? reason : 'it lagged',
    ...(typeof node === 'string' ? { node } : {}),
  };
}

/**
 * Waits until `client` is open, at most `timeoutMs`; closes it and fails with
 * ETIMEDOUT (`timedOut`) or ECONNREFUSED (`refused`, given the stream's error) otherwise.
 */
export async function openWithin(
  client: Client,
  timeoutMs: number,
  timedOut: string,
  refused: (error: NodeJS.ErrnoException) => string,
): Promise<Client> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CortexError('ETIMEDOUT', timedOut)), timeoutMs);
  });
  try {
    await Promise.race([client.opened, deadline]);
    return client;
  } catch (error) {
    client.close();
    if (error instanceof CortexError && error.code === 'ETIMEDOUT') throw error;
    throw new CortexError('ECONNREFUSED', refused(error as NodeJS.ErrnoException));
  } finally {
    clearTimeout(timer);
  }
}

/** Connects to a daemon's Unix socket; ECONNREFUSED with the path when nothing answers. */
export function connectUnix(
  path: string,
  options: { connectTimeoutMs?: number } & ClientOptions = {},
): Promise<Client> {
  const { connectTimeoutMs = 5000, ...clientOptions } = options;
  const socket = ClientSocket.connect(path);
  const client = new Client(socket, {
    remote: `the daemon on ${path}`,
    writeSome: directWrites(socket),
    ...clientOptions,
    openOn: 'connect',
    reads: socket.reads,
  });
  return openWithin(
    client,
    connectTimeoutMs,
    `No daemon answered on ${path} within ${formatMs(connectTimeoutMs)}.`,
    (error) => `No daemon answers on ${path} (${error.code ?? error.message}).`,
  );
}
