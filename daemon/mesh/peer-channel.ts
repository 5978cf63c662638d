import type { TLSSocket } from 'node:tls';
import { CortexError, errorFromWire, type WireError } from '../../src/protocol/errors.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import {
  NOTIFICATION,
  parseRequest,
  REQUEST,
  RESPONSE,
  writeNotification,
  writeRequest,
  writeResponse,
} from '../../src/protocol/messages.js';
import { Decoder } from '../../src/protocol/msgpack-decode.js';
import { Encoder } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';

/** Output queued for the peer beyond which senders should wait for 'drain'. */
const HIGH_WATER = 1 << 20;

export interface ChannelHandlers {
  notification(method: string, params: MsgValue): void;
  request(method: string, params: Record<string, MsgValue>): unknown;
  closed(reason: string): void;
}

interface Pending {
  resolve: (value: MsgValue) => void;
  reject: (error: CortexError) => void;
  timer: NodeJS.Timeout;
}

/**
 * MessagePack-RPC in both directions over one mutual-TLS socket between two
 * nodes: each side sends notifications (the replication stream, acks,
 * heartbeats) and requests (mesh queries) and answers the other's requests.
 * This is a separate stream from the client protocol: nothing a client can
 * reach dispatches peer messages.
 */
export class PeerChannel {
  private readonly scanner = new FrameScanner();
  private readonly decoder = new Decoder();
  private readonly out = new Encoder();
  private readonly pending = new Map<number, Pending>();
  private partial: Buffer[] = [];
  private partialLength = 0;
  private nextId = 1;
  private flushQueued = false;
  private closedReason: string | undefined;
  private handlers: ChannelHandlers | undefined;
  private readonly drainListeners = new Set<() => void>();

  constructor(
    readonly socket: TLSSocket,
    private readonly maxMessageBytes: number,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => {
      for (const listener of [...this.drainListeners]) listener();
    });
    socket.on('error', (error: Error) => this.shutdown(error.message));
    socket.on('close', () => this.shutdown('the connection closed'));
    // Messages that arrive before the session is ready wait in the socket.
    socket.pause();
  }

  /** Starts delivering messages to `handlers`. */
  start(handlers: ChannelHandlers): void {
    this.handlers = handlers;
    if (this.closedReason !== undefined) {
      handlers.closed(this.closedReason);
      return;
    }
    this.socket.resume();
  }

  get isOpen(): boolean {
    return this.closedReason === undefined;
  }

  /** The socket holds more unsent output than it should: wait for drain before sending more. */
  get congested(): boolean {
    return this.socket.writableLength + this.out.length > HIGH_WATER;
  }

  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }

  notify(method: string, params: unknown): void {
    if (!this.isOpen) return;
    writeNotification(this.out, method, params);
    this.queueFlush();
  }

  request(method: string, params: unknown, timeoutMs: number): Promise<MsgValue> {
    if (!this.isOpen) return Promise.reject(new CortexError('ECLOSED', `The link is closed: ${this.closedReason}.`));
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    writeRequest(this.out, id, method, params);
    this.queueFlush();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CortexError('ETIMEDOUT', `No answer to ${method} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  /** Sends what is queued (a last message such as `bye`), then closes. */
  close(reason: string): void {
    if (!this.isOpen) return;
    this.flush();
    this.socket.end();
    // A peer that never reads must not hold the socket open.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.shutdown(reason);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.out.length > 0 && this.isOpen) this.socket.write(this.out.take());
  }

  private receive(chunk: Buffer): void {
    let offset = 0;
    try {
      while (offset < chunk.length && this.isOpen) {
        const end = this.scanner.scan(chunk, offset);
        if (end === -1) {
          this.partial.push(chunk.subarray(offset));
          this.partialLength += chunk.length - offset;
          if (this.partialLength > this.maxMessageBytes) {
            throw new CortexError('ETOOBIG', `The peer sent a message over ${this.maxMessageBytes} bytes.`);
          }
          return;
        }
        let bytes = chunk.subarray(offset, end);
        if (this.partial.length > 0) {
          this.partial.push(bytes);
          bytes = Buffer.concat(this.partial);
          this.partial = [];
          this.partialLength = 0;
        }
        offset = end;
        this.dispatch(this.decoder.decode(bytes));
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.socket.destroy();
      this.shutdown(`the peer broke the protocol: ${reason}`);
    }
  }

  private dispatch(message: MsgValue): void {
    if (!Array.isArray(message)) throw new CortexError('EPROTO', 'A peer message must be an array.');
    if (message[0] === NOTIFICATION && typeof message[1] === 'string') {
      this.handlers?.notification(message[1], message[2] ?? null);
    } else if (message[0] === RESPONSE && message.length === 4) {
      const call = this.pending.get(message[1] as number);
      if (call === undefined) return;
      this.pending.delete(message[1] as number);
      clearTimeout(call.timer);
      if (message[2] === null) call.resolve(message[3] ?? null);
      else call.reject(errorFromWire(message[2]));
    } else if (message[0] === REQUEST) {
      const request = parseRequest(message);
      void this.answer(request.id, request.method, request.params);
    } else {
      throw new CortexError('EPROTO', 'The peer sent a message of an unknown kind.');
    }
  }

  private async answer(id: number, method: string, params: Record<string, MsgValue>): Promise<void> {
    let error: WireError | null = null;
    let result: unknown = null;
    try {
      if (this.handlers === undefined) throw new CortexError('EBUSY', 'The link is not ready.');
      result = await this.handlers.request(method, params);
    } catch (caught) {
      error =
        caught instanceof CortexError
          ? caught.toWire()
          : { code: 'EINTERNAL', message: caught instanceof Error ? caught.message : String(caught) };
    }
    if (!this.isOpen) return;
    const mark = this.out.length;
    try {
      writeResponse(this.out, id, error, result);
    } catch (encodeError) {
      this.out.truncate(mark);
      const message = encodeError instanceof Error ? encodeError.message : String(encodeError);
      writeResponse(this.out, id, { code: 'EINTERNAL', message: `The answer could not be encoded: ${message}` }, null);
    }
    this.queueFlush();
  }

  private shutdown(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.reject(new CortexError('ECLOSED', `The link closed: ${reason}.`));
    }
    this.pending.clear();
    this.drainListeners.clear();
    this.handlers?.closed(reason);
  }
}
