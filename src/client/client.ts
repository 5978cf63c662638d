import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { CortexError, errorMessage } from '../protocol/errors.js';
import type { MethodName, Methods, ParamsOf, ResultOf } from '../protocol/methods.js';
import type { MsgValue } from '../protocol/msgpack-types.js';
import type { Lagged, NotificationName, Notifications } from '../protocol/notifications.js';
import { Endpoint, type EndpointState } from '../rpc/endpoint.js';

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
  private readonly rawListeners = new Set<RawNotificationListener>();
  private readonly listeners = new Map<string, Set<(params: never) => void>>();
  private readonly closeListeners = new Set<() => void>();
  private readonly resubscribeListeners = new Set<(event: Resubscribed) => void>();

  constructor(stream: Duplex, options: ClientOptions = {}) {
    this.endpoint = new Endpoint(stream, {
      remote: 'the daemon',
      callTimeoutMs: options.callTimeoutMs ?? 0,
      ...(options.openOn === undefined ? {} : { openOn: options.openOn }),
      handler: {
        notification: (method, params) => this.notified(method, params),
        closed: () => {
          for (const listener of [...this.closeListeners]) listener();
        },
      },
    });
  }

  get state(): ConnectionState {
    return this.endpoint.state;
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
    if (typeof nameOrListener === 'function') {
      this.rawListeners.add(nameOrListener);
      return () => this.rawListeners.delete(nameOrListener);
    }
    let named = this.listeners.get(nameOrListener);
    if (named === undefined) this.listeners.set(nameOrListener, (named = new Set()));
    const set = named;
    set.add(listener!);
    return () => set.delete(listener!);
  }

  /** Told each time a lagged subscription was taken up again (or could not be). */
  onResubscribe(listener: (event: Resubscribed) => void): () => void {
    this.resubscribeListeners.add(listener);
    return () => this.resubscribeListeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.endpoint.close('The connection was closed by the client.');
  }

  private notified(method: string, params: MsgValue): void {
    for (const listener of [...this.rawListeners]) listener(method, params);
    const named = this.listeners.get(method);
    if (named !== undefined) for (const listener of [...named]) (listener as (params: MsgValue) => void)(params);
    if (method === 'lagged') this.resubscribe(params);
  }

  /** Subscribes again from where a lagged subscription stopped, then tells the listeners. */
  private resubscribe(params: MsgValue): void {
    const lagged = asLagged(params);
    if (lagged === undefined) return;
    const again = lagged.cursor === null ? { topic: lagged.topic } : { topic: lagged.topic, after: lagged.cursor };
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

/** A `lagged` notification's params, checked: they come off the wire. */
function asLagged(params: MsgValue): Lagged | undefined {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const { topic, cursor, reason } = params as Record<string, MsgValue>;
  if (typeof topic !== 'string' || (cursor !== null && typeof cursor !== 'number')) return undefined;
  return { topic, cursor, reason: typeof reason === 'string' ? reason : 'it lagged' };
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
  options: { connectTimeoutMs?: number; callTimeoutMs?: number } = {},
): Promise<Client> {
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  const socket = connect(path);
  const client = new Client(socket, { callTimeoutMs: options.callTimeoutMs ?? 0, openOn: 'connect' });
  return openWithin(
    client,
    timeoutMs,
    `No daemon answered on ${path} within ${timeoutMs} ms.`,
    (error) => `No daemon answers on ${path} (${error.code ?? error.message}).`,
  );
}
