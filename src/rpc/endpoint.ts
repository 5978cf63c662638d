import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatMs } from '../format-ms.js';
import { CortexError, type WireError } from '../protocol/errors.js';
import { peekRequestId } from '../protocol/frame-scanner.js';
import {
  NOTIFICATION,
  notificationShapeError,
  REQUEST,
  requestShapeError,
  RESPONSE,
  writeNotification,
  writeRequest,
  writeResponse,
} from '../protocol/messages.js';
import { Decoder } from '../protocol/msgpack-decode.js';
import { Encoder } from '../protocol/msgpack-encode.js';
import { MAX_DEPTH, type MsgValue, type RawMsgpack } from '../protocol/msgpack-types.js';
import { FrameReader, type FrameSink } from './frame-reader.js';
import { PendingCalls } from './pending-calls.js';
import type { ReadBuffer } from './read-buffer.js';

export type EndpointState = 'connecting' | 'open' | 'closed';

/** What the endpoint hands the messages it receives to. */
export interface EndpointHandler {
  /** A request: answer it with `respond(id, ...)`. Params are as sent; the method's parser checks them. */
  request?(id: number, method: string, params: MsgValue): void;
  notification?(method: string, params: MsgValue): void;
  /**
   * A message that cannot be taken: not MessagePack, over the size limit, or not a
   * msgpack-rpc message this side accepts. `id` is its msgid when one could be read.
   * `fatal`: the stream cannot be resynchronised and the endpoint closes right after.
   * Without this hook, any such message closes the endpoint.
   */
  invalid?(error: CortexError, id: number | undefined, fatal: boolean): void;
  /** Once, when the endpoint closes, with why. */
  closed?(reason: string): void;
}

export interface EndpointOptions {
  /** The other side, as errors name it: "the daemon", "b". */
  remote: string;
  handler?: EndpointHandler;
  /** How deep received messages may nest; past it the stream is garbage. */
  maxDepth?: number;
  /** Decodes received messages (the daemon's keeps the bytes of stored records). */
  decoder?: Decoder;
  /** A received message over this is refused (ETOOBIG) and skipped; the stream stays in sync. */
  maxMessageBytes?: number;
  /** Unsent output beyond which the endpoint is congested: senders that can wait should wait for drain. */
  highWaterBytes?: number;
  /** While congested, stop reading from the other side; drop it if that lasts `stallTimeoutMs`. */
  pauseWhenCongested?: boolean;
  stallTimeoutMs?: number;
  /** Unsent output beyond which the other side is dropped. */
  maxOutputBytes?: number;
  /**
   * Hand on at most this many messages of a read before letting the event loop turn, so that the
   * answers to the first ones leave while the rest are handled (default: a whole read at once).
   */
  sliceMessages?: number;
  /** This side sends requests (and so takes responses); false for a server's connection. */
  makesCalls?: boolean;
  /** The deadline of a call made without its own; 0 waits as long as the connection lives. */
  callTimeoutMs?: number;
  /** The stream is still connecting: the state is `connecting` until it emits this event. */
  openOn?: 'connect' | 'secureConnect';
  /** Where the endpoint reports dropping the other side. */
  log?: (line: string) => void;
  /** The buffer the stream (a socket created with `onread: reads.onread`) reads into; without it, 'data' events. */
  reads?: ReadBuffer;
  /**
   * Writes to the stream's socket beneath it (one send(2)): the bytes taken at once, 0 for none now, or a
   * negative errno. Used only while the stream has nothing queued; whatever it does not take goes through the stream.
   */
  writeSome?: (bytes: Uint8Array) => number;
}

const SETTLED = Promise.resolve();

/** After close() has flushed and ended the stream, how long the other side has to read it before it is destroyed. */
const END_GRACE_MS = 2000;

/**
 * One msgpack-rpc endpoint over a byte stream (a Unix socket, TLS, an ssh pipe, a
 * peer link), used alike by the client, the daemon's connections and the mesh's
 * peer links. It cuts the stream into messages (no copy when a read holds whole
 * messages; an oversized one is refused and skipped in sync), decodes each once
 * and routes it: answers to the pending call they settle, requests and
 * notifications to the handler. Everything written in one turn of the event loop
 * (or while handling one read) goes out in one write; with `sliceMessages`, a
 * long read is handled a slice per turn, each slice's answers written as it ends,
 * so that the other side can work on them meanwhile. It keeps the other side
 * from growing this process: past `highWaterBytes` of unsent output it is
 * congested (and may stop reading), past `maxOutputBytes` it drops the other
 * side. Calls have deadlines, and when the stream closes every pending call
 * fails with ECLOSED: no call waits forever.
 */
export class Endpoint implements FrameSink {
  private readonly stream: Duplex;
  private readonly remote: string;
  private readonly handler: EndpointHandler;
  private readonly reader: FrameReader;
  private readonly decoder: Decoder;
  private readonly out = new Encoder();
  private readonly pending = new PendingCalls(
    (method, timeoutMs) =>
      new CortexError('ETIMEDOUT', `No answer from ${this.remote} to ${method} within ${formatMs(timeoutMs)}.`),
  );
  private readonly drainListeners = new Set<() => void>();
  private readonly highWaterBytes: number;
  private readonly maxOutputBytes: number;
  private readonly pauseWhenCongested: boolean;
  private readonly stallTimeoutMs: number;
  private readonly makesCalls: boolean;
  private readonly callTimeoutMs: number;
  private readonly log: ((line: string) => void) | undefined;
  private readonly writeSome: ((bytes: Uint8Array) => number) | undefined;
  /**
   * The stream is a socket: a write it does not queue has been copied to the kernel (or TLS) by the time it
   * returns, so answers can be sent from the encoder's own buffer. Other streams (a pipe of objects) may keep it.
   */
  private readonly sendsCopies: boolean;
  private currentState: EndpointState;
  private flushQueued = false;
  /** A read is being handed on: whatever it answers is written as its slice ends (sliceDone), not in a microtask. */
  private handingOn = false;
  private readonly sliceMessages: number;
  private sliceScheduled = false;
  /** Reading is paused because more was read than handled (see receive). */
  private holdingInput = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private closingError: CortexError | undefined;
  private lastDrained = 0;
  private readsTaken = 0;
  /** Resolves once the stream is open; rejects with the stream's error if it closes first. */
  readonly opened: Promise<void>;
  private settleOpened!: (error?: Error) => void;

  constructor(stream: Duplex, options: EndpointOptions) {
    this.stream = stream;
    this.remote = options.remote;
    this.handler = options.handler ?? {};
    this.decoder = options.decoder ?? new Decoder(options.maxDepth ?? MAX_DEPTH);
    this.reader = new FrameReader(options.maxDepth ?? MAX_DEPTH, options.maxMessageBytes ?? Infinity, this);
    this.highWaterBytes = options.highWaterBytes ?? 1 << 20;
    this.maxOutputBytes = options.maxOutputBytes ?? Infinity;
    this.pauseWhenCongested = options.pauseWhenCongested ?? false;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 0;
    this.makesCalls = options.makesCalls ?? true;
    this.sliceMessages = options.sliceMessages ?? Infinity;
    this.callTimeoutMs = options.callTimeoutMs ?? 0;
    this.log = options.log;
    this.writeSome = options.writeSome;
    this.sendsCopies = stream instanceof Socket;
    this.currentState = options.openOn === undefined ? 'open' : 'connecting';
    this.opened = new Promise<void>((resolve, reject) => {
      this.settleOpened = (error) => (error === undefined ? resolve() : reject(error));
    });
    // A caller that never waits for `opened` learns of a failure from `closed` instead.
    this.opened.catch(() => undefined);
    if (options.openOn === undefined) this.settleOpened();
    else stream.once(options.openOn, () => this.open());
    if (options.reads === undefined) stream.on('data', (chunk: Buffer) => this.receive(chunk));
    else options.reads.attach({ receive: (chunk) => this.receive(chunk), holdsInput: () => this.reader.heldBytes > 0 });
    stream.on('drain', () => this.drained());
    stream.on('error', (error: Error) => {
      this.failure = error;
      this.finish(`The connection to ${this.remote} failed: ${error.message}.`);
    });
    stream.on('close', () => this.finish(`The connection to ${this.remote} closed.`));
  }

  get state(): EndpointState {
    return this.currentState;
  }

  get isOpen(): boolean {
    return this.currentState !== 'closed';
  }

  /** Bytes written for the other side that it has not taken yet (queued here and in the stream). */
  get pendingBytes(): number {
    return this.out.length + this.stream.writableLength;
  }

  /** When the stream last sent everything it held (Date.now()); 0 if it never had to wait. */
  get drainedAt(): number {
    return this.lastDrained;
  }

  /** Reads taken from the stream so far: a sign of life that costs no clock reading per read. */
  get readCount(): number {
    return this.readsTaken;
  }

  /** More unsent output than `highWaterBytes`: a sender that can wait should wait for drain. */
  get congested(): boolean {
    return this.pendingBytes > this.highWaterBytes;
  }

  /** Calls `listener` each time the stream has sent everything it held. */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }

  /** Sends a request and waits for its answer, at most `timeoutMs` (default: the endpoint's call deadline). */
  request(method: string, params: unknown, timeoutMs = this.callTimeoutMs): Promise<MsgValue> {
    if (!this.isOpen) return Promise.reject(new CortexError('ECLOSED', `The connection to ${this.remote} is closed.`));
    const id = this.pending.allocate();
    const mark = this.out.length;
    try {
      writeRequest(this.out, id, method, params);
    } catch (error) {
      this.out.truncate(mark);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.queueFlush();
    return this.pending.wait(id, method, timeoutMs);
  }

  /** Sends a notification: no answer comes. Throws, having sent nothing, if `params` cannot be encoded. */
  notify(method: string, params: unknown): void {
    if (!this.isOpen) return;
    const mark = this.out.length;
    try {
      writeNotification(this.out, method, params);
    } catch (error) {
      this.out.truncate(mark);
      throw error;
    }
    this.queueFlush();
  }

  /** Sends a notification already encoded whole (`encodedNotification`): its bytes are copied as they are. */
  notifyEncoded(message: RawMsgpack): void {
    if (!this.isOpen) return;
    this.out.encode(message);
    this.queueFlush();
  }

  /**
   * Sends messages already encoded whole and back to back, after what is queued: the bytes go to the stream as
   * they are, without a copy, so they must never change afterwards (they may be shared by many endpoints).
   */
  writeEncoded(messages: Uint8Array): void {
    if (!this.isOpen) return;
    this.flush();
    this.write(messages);
  }

  /** Answers request `id`; a result that cannot be encoded becomes an EINTERNAL answer saying why. */
  respond(id: number, error: WireError | null, result: unknown): void {
    if (!this.isOpen) return;
    const mark = this.out.length;
    try {
      writeResponse(this.out, id, error, result);
    } catch (encodeError) {
      this.out.truncate(mark);
      const reason = encodeError instanceof Error ? encodeError.message : 'the result could not be encoded';
      writeResponse(this.out, id, { code: 'EINTERNAL', message: `The answer could not be sent: ${reason}` }, null);
    }
    this.queueFlush();
  }

  /** The other side said why it is closing the link: when it closes, pending calls fail with `error`. */
  failPendingOnCloseWith(error: CortexError): void {
    this.closingError = error;
  }

  /** Sends what is queued, ends the stream, and closes: pending calls fail with ECLOSED and `reason`. */
  close(reason = `The connection to ${this.remote} was closed by this side.`): void {
    if (!this.isOpen) return;
    this.flush();
    this.stream.end();
    // The other side may never read what is left: it does not get to hold the stream open.
    setTimeout(() => this.stream.destroy(), END_GRACE_MS).unref();
    this.finish(reason);
  }

  /** Closes at once, dropping whatever is unsent. */
  destroy(reason: string): void {
    if (!this.isOpen) return;
    this.stream.destroy();
    this.finish(reason);
  }

  /** FrameSink: whether to go on handing on messages. */
  get reading(): boolean {
    return this.isOpen;
  }

  /** FrameSink: one whole message. */
  frame(buf: Buffer, start: number, end: number): void {
    if (!this.notified(buf, start, end) && !this.requested(buf, start, end)) {
      let message: MsgValue;
      try {
        message = this.decoder.decode(buf, start, end);
      } catch (error) {
        this.refuse(asProtocolError(error), peekRequestId(buf.subarray(start, end)), false);
        return;
      }
      this.route(message, buf, start, end);
    }
    // One read can hold thousands of small requests whose answers are large: hand them to the
    // stream as they pile up, so the output limits apply within the read, not after it.
    if (this.out.length > this.highWaterBytes) this.flush();
  }

  /** FrameSink: one message decoded before its end is known; -1, with nothing handed on, if it cannot be. */
  frameAt(buf: Buffer, start: number, limit: number): number {
    let method: string | undefined;
    let message: MsgValue = null;
    let answered = -1;
    let requestId = -1;
    try {
      if (this.makesCalls) answered = this.decoder.decodeResponse(buf, start, limit, false);
      else if (this.handler.request !== undefined) requestId = this.decoder.decodeRequest(buf, start, limit, false);
      if (answered < 0 && requestId < 0) {
        if (this.handler.notification !== undefined) method = this.decoder.decodeNotification(buf, start, limit, false);
        if (method === undefined) message = this.decoder.decode(buf, start, limit, false);
      }
    } catch {
      // It runs past the read, or frame() will say what is wrong with it once it is scanned.
      return -1;
    }
    if (answered >= 0) return this.answered(answered);
    const end = this.decoder.valueEnd;
    if (requestId >= 0) {
      this.handler.request!(requestId, this.decoder.method, this.decoder.takeNotificationParams());
      if (this.out.length > this.highWaterBytes) this.flush();
      return end;
    }
    if (method === undefined) this.route(message, buf, start, end);
    else this.handler.notification!(method, this.decoder.takeNotificationParams());
    if (this.out.length > this.highWaterBytes) this.flush();
    return end;
  }

  /** Settles the call a response decoded without its array (Decoder.decodeResponse) answers; returns its end. */
  private answered(id: number): number {
    const end = this.decoder.valueEnd;
    this.pending.settle(id, this.decoder.takeResponseError(), this.decoder.takeNotificationParams());
    return end;
  }

  /** A notification handed on without its array being made (Decoder.decodeNotification); false for other messages. */
  private notified(buf: Buffer, start: number, end: number): boolean {
    if (this.handler.notification === undefined) return false;
    let method: string | undefined;
    try {
      method = this.decoder.decodeNotification(buf, start, end);
    } catch (error) {
      // As for any message that fails to decode; a notification has no msgid to answer.
      this.refuse(asProtocolError(error), undefined, false);
      return true;
    }
    if (method === undefined) return false;
    this.handler.notification(method, this.decoder.takeNotificationParams());
    return true;
  }

  /** A request handed on without its array being made (Decoder.decodeRequest); false for other messages. */
  private requested(buf: Buffer, start: number, end: number): boolean {
    if (this.makesCalls || this.handler.request === undefined) return false;
    let id: number;
    try {
      id = this.decoder.decodeRequest(buf, start, end);
    } catch (error) {
      this.refuse(asProtocolError(error), peekRequestId(buf.subarray(start, end)), false);
      return true;
    }
    if (id < 0) return false;
    this.handler.request(id, this.decoder.method, this.decoder.takeNotificationParams());
    return true;
  }

  /** FrameSink: a message over the size limit, being skipped. */
  oversized(start: Buffer): void {
    const limit = this.reader.maxMessageBytes;
    this.refuse(
      new CortexError('ETOOBIG', `The message is larger than the limit of ${limit} bytes.`),
      peekRequestId(start),
      false,
    );
    if (this.out.length > this.highWaterBytes) this.flush();
  }

  private route(message: MsgValue, buf: Buffer, start: number, end: number): void {
    if (Array.isArray(message)) {
      const kind = message[0];
      if (kind === RESPONSE && this.makesCalls) {
        if (message.length === 4 && typeof message[1] === 'number') {
          this.pending.settle(message[1], message[2], message[3]);
          return;
        }
      } else if (kind === REQUEST && this.handler.request !== undefined) {
        const error = requestShapeError(message);
        if (error === undefined) this.handler.request(message[1] as number, message[2] as string, message[3] ?? null);
        else this.refuse(error, peekRequestId(buf.subarray(start, end)), false);
        return;
      } else if (kind === NOTIFICATION && this.handler.notification !== undefined) {
        const error = notificationShapeError(message);
        if (error === undefined) this.handler.notification(message[1] as string, message[2] ?? null);
        else this.refuse(error, undefined, false);
        return;
      }
    }
    this.refuse(new CortexError('EPROTO', this.expectedMessages()), peekRequestId(buf.subarray(start, end)), false);
  }

  /** What the other side may send, for the error that says it sent something else. */
  private expectedMessages(): string {
    const kinds = [
      this.handler.request && 'a request [0, msgid, method, params]',
      this.makesCalls && 'a response [1, msgid, error, result]',
      this.handler.notification && 'a notification [2, method, params]',
    ].filter((kind): kind is string => typeof kind === 'string');
    return `A message must be ${kinds.join(' or ')}.`;
  }

  private refuse(error: CortexError, id: number | undefined, fatal: boolean): void {
    if (this.handler.invalid === undefined) {
      this.destroy(`The connection to ${this.remote} was closed: it sent what is not msgpack-rpc (${error.message})`);
      return;
    }
    this.handler.invalid(error, id, fatal);
    if (fatal) this.close(`Closed after a protocol error: ${error.message}`);
  }

  private receive(chunk: Buffer): void {
    this.readsTaken++;
    if (!this.handOnSlice(chunk)) return;
    if (this.reader.heldBytes > this.highWaterBytes && !this.holdingInput) {
      // The other side sends faster than its messages are handled: stop reading until they are.
      this.holdingInput = true;
      this.stream.pause();
    }
  }

  /** Hands on the next slice of what was read. */
  private readonly nextSlice = (): void => {
    this.sliceScheduled = false;
    if (this.isOpen) this.handOnSlice(undefined);
  };

  /** Hands on one slice: of a new read (`chunk`), or of what is held from the last one. False if it was unreadable. */
  private handOnSlice(chunk: Buffer | undefined): boolean {
    let done: boolean;
    this.handingOn = true;
    try {
      done = chunk === undefined ? this.reader.handOn(this.sliceMessages) : this.reader.push(chunk, this.sliceMessages);
    } catch (error) {
      this.handingOn = false;
      this.unreadable(error);
      return false;
    }
    this.handingOn = false;
    this.sliceDone(done);
    return true;
  }

  /** Sends this slice's answers; the rest of the read, if any, follows once the event loop has turned. */
  private sliceDone(done: boolean): void {
    this.flush();
    if (!done) {
      // The turn lets the answers of asynchronous handlers (a put's group commit) leave too.
      if (!this.sliceScheduled) {
        this.sliceScheduled = true;
        setImmediate(this.nextSlice);
      }
    } else if (this.holdingInput) {
      this.holdingInput = false;
      if (this.stallTimer === undefined && this.isOpen) this.stream.resume();
    }
  }

  /** Only the scanner throws while reading: the stream is not MessagePack and cannot be resynchronised. */
  private unreadable(error: unknown): void {
    // The msgid is read from the start of the message that failed, not of the read: earlier
    // messages in it were already handled.
    const start = this.reader.failedStart();
    this.refuse(asProtocolError(error), start && peekRequestId(start), true);
  }

  private queueFlush(): void {
    if (this.flushQueued || this.handingOn) return;
    this.flushQueued = true;
    // A reaction on a settled promise: Node's queueMicrotask makes an AsyncResource and a bound function per call.
    void SETTLED.then(this.flushLater);
  }

  private readonly flushLater = (): void => this.flush();

  private flush(): void {
    this.flushQueued = false;
    if (this.out.length === 0 || !this.isOpen) return;
    // Behind queued output this write is queued too: a copy of its own, so the queue holds no more memory than bytes.
    if (!this.sendsCopies || this.stream.writableLength > 0) {
      this.write(this.out.take());
      return;
    }
    // A socket copies what it sends at once; only a write it queues (in part) keeps the encoder's bytes.
    const bytes = this.out.written();
    const taken = this.sendDirect(bytes);
    if (taken === bytes.length) {
      // Nothing went through the stream, so nothing is queued there: no limit to check, and the buffer is free.
      this.out.restart(false);
      return;
    }
    this.writeToStream(taken > 0 ? bytes.subarray(taken) : bytes);
    this.out.restart(this.stream.writableLength > 0 || !this.isOpen);
  }

  /** Writes to the stream, then holds back or drops the other side if it leaves too much unread. */
  private write(bytes: Uint8Array): void {
    const taken = this.stream.writableLength === 0 ? this.sendDirect(bytes) : 0;
    if (taken === bytes.length) return;
    this.writeToStream(taken > 0 ? bytes.subarray(taken) : bytes);
  }

  /**
   * Straight to the socket, for a caller that knows nothing is queued before the bytes: the stream's write
   * request, state and callback cost more than the send itself (bench/README.md, "A cheaper round trip").
   * Returns how many bytes it took: what it did not take, or all of it after an error (negative), goes
   * through the stream, which waits for room or reports the error.
   */
  private sendDirect(bytes: Uint8Array): number {
    return this.writeSome !== undefined && this.stream.writable ? this.writeSome(bytes) : 0;
  }

  private writeToStream(bytes: Uint8Array): void {
    this.stream.write(bytes);
    const waiting = this.stream.writableLength;
    if (waiting > this.maxOutputBytes) {
      this.drop(`dropped, ${waiting} bytes of answers unread`);
    } else if (this.pauseWhenCongested && waiting > this.highWaterBytes && this.stallTimer === undefined) {
      this.stream.pause();
      this.stallTimer = setTimeout(
        () => this.drop(`dropped, it left its answers unread for ${this.stallTimeoutMs} ms`),
        this.stallTimeoutMs,
      );
    }
  }

  private drop(reason: string): void {
    this.log?.(reason);
    this.destroy(`The connection to ${this.remote} was ${reason}.`);
  }

  private drained(): void {
    this.lastDrained = Date.now();
    if (this.stallTimer !== undefined) {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      if (this.isOpen && !this.holdingInput) this.stream.resume();
    }
    for (const listener of [...this.drainListeners]) listener();
  }

  private open(): void {
    if (this.currentState !== 'connecting') return;
    this.currentState = 'open';
    this.settleOpened();
  }

  private finish(reason: string): void {
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (this.currentState === 'closed') return;
    const wasConnecting = this.currentState === 'connecting';
    this.currentState = 'closed';
    if (wasConnecting) this.settleOpened(this.failure ?? new CortexError('ECLOSED', reason));
    this.reader.clear();
    this.drainListeners.clear();
    this.pending.rejectAll(reason, this.closingError);
    this.handler.closed?.(reason);
  }
}

function asProtocolError(error: unknown): CortexError {
  return error instanceof CortexError ? error : new CortexError('EPROTO', String(error));
}
