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
  /** Why the daemon is closing this connection, from its `error` notification: what pending calls fail with. */
  private closingError: CortexError | undefined;

  constructor(
    private readonly stream: Duplex,
    private readonly defaultTimeoutMs = 0,
  ) {
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', () => this.shutdown('The connection to the daemon failed.'));
    stream.on('close', () => this.shutdown('The connection to the daemon closed.'));
  }

  get state(): ConnectionState {
    return this.currentState;
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
              reject(new CortexError('ETIMEDOUT', `The daemon did not answer ${method} within ${timeoutMs} ms.`));
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
    this.stream.end();
    this.shutdown('The connection was closed by the client.');
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

  private receive(chunk: Buffer): void {
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
      this.shutdown(`The daemon sent data that is not msgpack-rpc: ${(error as Error).message}`);
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
      if (message[1] === 'error') this.closingError = errorFromWire(message[2]);
      for (const listener of this.listeners) listener(message[1], message[2] ?? null);
    }
  }

  private shutdown(reason: string): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    for (const call of this.pending.values()) {
      if (call.timer) clearTimeout(call.timer);
      call.reject(this.closingError ?? new CortexError('ECLOSED', reason));
    }
    this.pending.clear();
    for (const listener of this.closeListeners) listener();
  }
}

/** Connects to a daemon's Unix socket; ECONNREFUSED with the path when nothing answers. */
export function connectUnix(
  path: string,
  options: { connectTimeoutMs?: number; callTimeoutMs?: number } = {},
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CortexError('ETIMEDOUT', `No daemon answered on ${path} within ${options.connectTimeoutMs} ms.`));
    }, options.connectTimeoutMs ?? 5000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay?.(true);
      resolve(new Client(socket, options.callTimeoutMs ?? 0));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CortexError('ECONNREFUSED', `No daemon answers on ${path} (${error.code ?? error.message}).`));
    });
  });
}
