import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { CortexError, errorFromWire } from '../protocol/errors.js';
import { FrameScanner } from '../protocol/frame-scanner.js';
import { MAX_MSGID, NOTIFICATION, RESPONSE, writeRequest } from '../protocol/messages.js';
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods.js';
import { Decoder } from '../protocol/msgpack-decode.js';
import { Encoder } from '../protocol/msgpack-encode.js';
import type { MsgValue } from '../protocol/msgpack-types.js';

export type ConnectionState = 'open' | 'closed';
export type NotificationListener = (method: string, params: MsgValue) => void;

export interface CallOptions {
  /** Milliseconds before the call fails with ETIMEDOUT; 0 waits as long as the connection lives. */
  timeoutMs?: number;
}

export interface ClientOptions {
  /** Each call's deadline in ms unless the call gives its own; 0 (the default) waits as long as the connection lives. */
  callTimeoutMs?: number;
  /** Who answers, for messages: `the daemon on /run/cortex/cortex.sock`. */
  remote?: string;
  /**
   * A heartbeat for connections that wait on notifications: after a third of this
   * many ms with nothing from the daemon a ping goes out, and after this many ms of
   * silence the connection is given up as dead. 0 (the default) sends none.
   */
  silenceMs?: number;
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: CortexError) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A msgpack-rpc client over any byte stream (a Unix socket, TLS, an ssh pipe).
 * Calls made in the same turn of the event loop go out in one write; answers are
 * matched by msgid, so calls may be pipelined freely. When the stream closes,
 * every pending call fails with ECLOSED: no call waits forever.
 */
export class Client {
  private readonly scanner = new FrameScanner();
  private readonly decoder = new Decoder();
  private readonly out = new Encoder();
  private readonly pending = new Map<number, PendingCall>();
  private readonly listeners = new Set<NotificationListener>();
  private readonly closeListeners = new Set<() => void>();
  private partial: Buffer[] = [];
  private nextId = 1;
  private flushQueued = false;
  private currentState: ConnectionState = 'open';
  private lost: CortexError | undefined;
  private readonly defaultTimeoutMs: number;
  private readonly peer: string;
  private heartbeat: NodeJS.Timeout | undefined;
  private heardAt = Date.now();

  constructor(
    private readonly stream: Duplex,
    options: ClientOptions = {},
  ) {
    this.defaultTimeoutMs = options.callTimeoutMs ?? 0;
    this.peer = options.remote ?? 'the daemon';
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', () => this.shutdown(new CortexError('ECLOSED', `The connection to ${this.peer} failed.`)));
    stream.on('close', () => this.shutdown(new CortexError('ECLOSED', `The connection to ${this.peer} closed.`)));
    if (options.silenceMs) this.startHeartbeat(options.silenceMs);
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Why the connection was lost, once it was; undefined while open or when close() ended it. */
  get failure(): CortexError | undefined {
    return this.lost;
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, options?: CallOptions): Promise<ResultOf<M>> {
    return this.request(method, params, options) as Promise<ResultOf<M>>;
  }

  /** A call by name with unchecked params: for generic tools and tests of bad input. */
  request(method: string, params: unknown, options: CallOptions = {}): Promise<unknown> {
    if (this.currentState === 'closed') {
      return Promise.reject(new CortexError('ECLOSED', 'The connection to the daemon is closed.'));
    }
    const id = this.nextId;
    this.nextId = this.nextId >= MAX_MSGID ? 1 : this.nextId + 1;
    const mark = this.out.length;
    try {
      writeRequest(this.out, id, method, params);
    } catch (error) {
      this.out.truncate(mark);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.queueFlush();
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(id);
              reject(
                new CortexError(
                  'ETIMEDOUT',
                  `${capitalize(this.peer)} did not answer ${method} within ${formatMs(timeoutMs)}.`,
                ),
              );
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  onNotification(listener: NotificationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.flush();
    // Once what was written is out, the stream goes, without waiting for the daemon to close its end:
    // a daemon that stopped answering (paused, wedged) never would, and this process would never exit.
    this.stream.end(() => this.stream.destroy());
    this.shutdown(new CortexError('ECLOSED', 'The connection was closed by the client.'), false);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.out.length > 0 && this.currentState === 'open') this.stream.write(this.out.take());
  }

  /**
   * A paused or wedged daemon keeps its socket open but says nothing: the only way
   * to tell is to ask. Any message counts as a sign of life.
   */
  private startHeartbeat(silenceMs: number): void {
    const period = Math.max(10, Math.floor(silenceMs / 3));
    this.heartbeat = setInterval(() => {
      const silent = Date.now() - this.heardAt;
      if (silent >= silenceMs) {
        this.stream.destroy();
        this.shutdown(
          new CortexError(
            'ETIMEDOUT',
            `${capitalize(this.peer)} stopped answering: nothing came for ${formatMs(silent)}, not even a heartbeat.`,
          ),
        );
      } else if (silent >= period) {
        this.request('ping', {}, { timeoutMs: 0 }).catch(() => undefined);
      }
    }, period);
    this.heartbeat.unref();
  }

  private receive(chunk: Buffer): void {
    this.heardAt = Date.now();
    let offset = 0;
    try {
      while (offset < chunk.length) {
        const end = this.scanner.scan(chunk, offset);
        if (end === -1) {
          this.partial.push(chunk.subarray(offset));
          return;
        }
        let bytes = chunk.subarray(offset, end);
        if (this.partial.length > 0) {
          this.partial.push(bytes);
          bytes = Buffer.concat(this.partial);
          this.partial = [];
        }
        this.dispatch(this.decoder.decode(bytes));
        offset = end;
      }
    } catch (error) {
      this.stream.destroy();
      this.shutdown(
        new CortexError(
          'EPROTO',
          `${capitalize(this.peer)} sent data that is not msgpack-rpc: ${(error as Error).message}`,
        ),
      );
    }
  }

  private dispatch(message: MsgValue): void {
    if (!Array.isArray(message)) return;
    if (message[0] === RESPONSE && message.length === 4) {
      const call = this.pending.get(message[1] as number);
      if (call === undefined) return;
      this.pending.delete(message[1] as number);
      if (call.timer) clearTimeout(call.timer);
      if (message[2] === null) call.resolve(message[3]);
      else call.reject(errorFromWire(message[2]));
    } else if (message[0] === NOTIFICATION && typeof message[1] === 'string') {
      for (const listener of this.listeners) listener(message[1], message[2] ?? null);
    }
  }

  private shutdown(reason: CortexError, lost = true): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    if (lost) this.lost = reason;
    clearInterval(this.heartbeat);
    for (const call of this.pending.values()) {
      if (call.timer) clearTimeout(call.timer);
      call.reject(reason);
    }
    this.pending.clear();
    for (const listener of this.closeListeners) listener();
  }
}

/** 1500 → `1.5 s`, 250 → `250 ms`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Connects to a daemon's Unix socket; ECONNREFUSED with the path when nothing answers. */
export function connectUnix(
  path: string,
  options: { connectTimeoutMs?: number } & ClientOptions = {},
): Promise<Client> {
  const { connectTimeoutMs = 5000, ...clientOptions } = options;
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CortexError('ETIMEDOUT', `No daemon answered on ${path} within ${formatMs(connectTimeoutMs)}.`));
    }, connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay?.(true);
      resolve(new Client(socket, { remote: `the daemon on ${path}`, ...clientOptions }));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CortexError('ECONNREFUSED', `No daemon answers on ${path} (${error.code ?? error.message}).`));
    });
  });
}
