import type { Socket } from 'node:net';
import { CortexError, type WireError } from '../../src/protocol/errors.js';
import { FrameScanner, peekRequestId } from '../../src/protocol/frame-scanner.js';
import { writeNotification, writeResponse } from '../../src/protocol/messages.js';
import { Decoder } from '../../src/protocol/msgpack-decode.js';
import { Encoder } from '../../src/protocol/msgpack-encode.js';
import { MAX_REQUEST_DEPTH, type MsgValue } from '../../src/protocol/msgpack-types.js';
import type { Caller } from '../handlers/types.js';
import type { Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';

export interface ConnectionLimits {
  /** A message larger than this is refused (ETOOBIG) and skipped. */
  maxMessageBytes: number;
  /** Output waiting for a client beyond which reading from it pauses. */
  highWaterBytes: number;
  /** Output waiting for a client beyond which it is disconnected. */
  maxOutputBytes: number;
  /** How long a client may leave its output unread before it is disconnected. */
  stallTimeoutMs: number;
}

/** What the connection hands each decoded message to. */
export interface MessageSink {
  message(connection: Connection, message: MsgValue, requestId: number | undefined): void;
  closed(connection: Connection): void;
}

let nextConnectionId = 1;

/**
 * One client's byte stream. It cuts the stream into messages (no copy when a
 * read holds whole messages), decodes each once, and gathers every response
 * written during one turn of the event loop into a single socket write. It
 * protects the daemon from the client: oversized messages are skipped, garbage
 * closes only this connection, and a client that stops reading is paused and
 * then dropped instead of growing the daemon's memory.
 */
export class Connection implements Caller {
  readonly id = nextConnectionId++;
  // Requests may nest less deeply than answers, so that an answer carrying a stored record stays decodable.
  private readonly scanner = new FrameScanner(MAX_REQUEST_DEPTH);
  /** Records arrive at depth 2 (`put`'s params.record) and 3 (`put_many`'s params.records[i]). */
  private readonly decoder = new Decoder(MAX_REQUEST_DEPTH, new Set([2, 3]));
  private readonly out = new Encoder();
  /** Bytes of a message that spans reads. */
  private partial = Buffer.alloc(0);
  private partialLength = 0;
  /** Skipping the rest of an oversized message. */
  private discarding = false;
  /** Where the message being scanned starts in the current chunk (when no partial holds its start). */
  private messageStart = 0;
  private flushQueued = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    /** Changes when the client authenticates. */
    public identity: Identity,
    private readonly sink: MessageSink,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    readonly transport: 'unix' | 'tls' = 'unix',
    readonly peer: string = 'local',
  ) {
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.drained());
    socket.on('error', (error) => this.log.debug(`connection ${this.id}: ${error.message}`));
    socket.on('close', () => this.finish());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Bytes written for this client that it has not read yet (queued here and in the socket). */
  get pendingBytes(): number {
    return this.out.length + this.socket.writableLength;
  }

  respond(id: number, error: WireError | null, result: unknown): void {
    if (this.closed) return;
    const mark = this.out.length;
    try {
      writeResponse(this.out, id, error, result);
    } catch (encodeError) {
      this.out.truncate(mark);
      const reason = encodeError instanceof CortexError ? encodeError.message : 'the result could not be encoded';
      writeResponse(
        this.out,
        id,
        { code: 'EINTERNAL', message: `The daemon could not send its answer: ${reason}` },
        null,
      );
    }
    this.queueFlush();
  }

  notify(method: string, params: unknown): void {
    if (this.closed) return;
    writeNotification(this.out, method, params);
    this.queueFlush();
  }

  /** Sends what is queued, then closes. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.socket.end();
    this.finish();
  }

  private receive(chunk: Buffer): void {
    try {
      this.cutMessages(chunk);
    } catch (error) {
      // Only the scanner throws here: the stream is not MessagePack and cannot be resynchronised.
      const wire = error instanceof CortexError ? error.toWire() : { code: 'EPROTO' as const, message: String(error) };
      // The msgid is read from the start of the message that failed, not of the chunk: earlier
      // messages in the chunk were already answered. A message being discarded got its ETOOBIG.
      const start = this.discarding
        ? undefined
        : this.partialLength > 0
          ? this.partial.subarray(0, this.partialLength)
          : chunk.subarray(this.messageStart);
      this.refuse(start && peekRequestId(start), wire);
      this.log.info(`connection ${this.id}: closed after a protocol error: ${wire.message}`);
      this.close();
      return;
    }
    this.flush();
  }

  private cutMessages(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.closed) {
      this.messageStart = offset;
      const end = this.scanner.scan(chunk, offset);
      if (end === -1) {
        this.keepPartial(chunk, offset);
        return;
      }
      if (this.discarding) {
        this.discarding = false;
      } else if (this.partialLength > 0) {
        if (this.partialLength + end - offset > this.limits.maxMessageBytes) {
          this.refuseOversized(this.partial.subarray(0, this.partialLength));
          this.partialLength = 0;
        } else {
          this.append(chunk, offset, end);
          const message = this.partial.subarray(0, this.partialLength);
          this.partialLength = 0;
          this.handle(message);
        }
        if (this.partial.length > 1 << 20) this.partial = Buffer.alloc(0);
      } else if (end - offset > this.limits.maxMessageBytes) {
        this.refuseOversized(chunk.subarray(offset, end));
      } else {
        this.handle(chunk.subarray(offset, end));
      }
      offset = end;
      // One read can hold thousands of small requests whose answers are large (gets of a big
      // record). Hand the answers to the socket as they pile up, so that the output limits
      // (pause, then drop past maxOutputBytes) apply within the read instead of after it has
      // buffered every answer in memory.
      if (this.out.length > this.limits.highWaterBytes) this.flush();
    }
  }

  private keepPartial(chunk: Buffer, offset: number): void {
    if (this.discarding) return;
    this.append(chunk, offset, chunk.length);
    if (this.partialLength > this.limits.maxMessageBytes) {
      this.refuseOversized(this.partial.subarray(0, this.partialLength));
      this.discarding = true;
      this.partial = Buffer.alloc(0);
      this.partialLength = 0;
    }
  }

  private refuseOversized(start: Uint8Array): void {
    this.refuse(peekRequestId(start), {
      code: 'ETOOBIG',
      message: `The message is larger than the limit of ${this.limits.maxMessageBytes} bytes.`,
    });
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const size = to - from;
    if (this.partialLength + size > this.partial.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.partialLength + size, this.partial.length * 2, 4096));
      this.partial.copy(grown, 0, 0, this.partialLength);
      this.partial = grown;
    }
    chunk.copy(this.partial, this.partialLength, from, to);
    this.partialLength += size;
  }

  private handle(bytes: Buffer): void {
    let message: MsgValue;
    try {
      message = this.decoder.decode(bytes);
    } catch (error) {
      const wire = error instanceof CortexError ? error.toWire() : { code: 'EPROTO' as const, message: String(error) };
      this.refuse(peekRequestId(bytes), wire);
      return;
    }
    this.sink.message(this, message, peekRequestId(bytes));
  }

  /** Answers a message that cannot be handled: by its msgid when one can be read, else as a notification. */
  refuse(id: number | undefined, error: WireError): void {
    if (id !== undefined) this.respond(id, error, null);
    else this.notify('protocol_error', error);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.out.length === 0 || this.closed) return;
    this.socket.write(this.out.take());
    const waiting = this.socket.writableLength;
    if (waiting > this.limits.maxOutputBytes) {
      this.log.info(`connection ${this.id}: dropped, ${waiting} bytes of answers unread`);
      this.socket.destroy();
      this.finish();
    } else if (waiting > this.limits.highWaterBytes && this.stallTimer === undefined) {
      this.socket.pause();
      this.stallTimer = setTimeout(() => {
        this.log.info(
          `connection ${this.id}: dropped, it left its answers unread for ${this.limits.stallTimeoutMs} ms`,
        );
        this.socket.destroy();
        this.finish();
      }, this.limits.stallTimeoutMs);
    }
  }

  private drained(): void {
    if (this.stallTimer === undefined) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (!this.closed) this.socket.resume();
  }

  private finish(): void {
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    if (this.closed) return;
    this.closed = true;
    this.partial = Buffer.alloc(0);
    this.partialLength = 0;
    this.sink.closed(this);
  }
}
