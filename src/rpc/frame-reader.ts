import { FrameScanner } from '../protocol/frame-scanner.js';

/** Where the reader hands what it cuts. */
export interface FrameSink {
  /**
   * One whole message: `buf` from `start` to `end`, handed as a range so that no view is made
   * for each message. `buf` may be a reused buffer: the bytes are valid only during the call.
   */
  frame(buf: Buffer, start: number, end: number): void;
  /**
   * The message that starts at `start`, decoded before its end is known, with `limit` (the end of the
   * read) as the bound: hands it on and returns where it ends, or returns -1 having handed on nothing
   * when it cannot be decoded within the read (it runs past the read, or it is not valid). The reader
   * then scans that message for its end and hands it to `frame`, which reports what is wrong with it.
   * Without this method every message is scanned before it is handed on.
   */
  frameAt?(buf: Buffer, start: number, limit: number): number;
  /** A message over the size limit: `start` is its first bytes (enough to read a msgid); the rest is skipped. */
  oversized(start: Buffer): void;
  /** False once the reader should stop handing on messages (the endpoint closed). */
  readonly reading: boolean;
}

/** Above this, the buffer that held a message spanning reads is not kept for the next one. */
const KEEP_PARTIAL_BYTES = 1 << 20;

/**
 * Cuts a byte stream with no length prefixes into MessagePack messages. A read
 * that holds whole messages is handed on without a copy; a message spanning reads
 * is gathered in one growing buffer. A message over `maxMessageBytes` is not kept:
 * its start is reported and the rest is skipped as it arrives, so the stream
 * stays in sync without buffering it. A read may be handed on a few messages at
 * a time (`limit`); reads that arrive meanwhile wait behind it.
 *
 * A sink that decodes first (`frameAt`) is handed each message before its end is
 * known, and the decode finds the end: a whole message is then read once, not
 * scanned and then decoded. Only the message that runs past the end of a read,
 * and one that fails to decode, are scanned, so every error the scanner finds is
 * as fatal as before; and only where the rest of the read cannot hold an
 * oversized message, which is still skipped unread.
 *
 * Without a `limit`, every read is handed on whole before push returns and a
 * message cut by its end is copied, so the caller may read into the same buffer
 * again. With a limit, the rest of a read is kept as it is for the next handOn
 * (`heldBytes` says so): the next read must go into another buffer, as
 * ReadBuffer does.
 */
export class FrameReader {
  private readonly scanner: FrameScanner;
  /** Bytes of a message that spans reads. */
  private partial = Buffer.alloc(0);
  private partialLength = 0;
  /** Skipping the rest of an oversized message. */
  private discarding = false;
  /** The read being cut, and where its next message starts; undefined when every read was handed on. */
  private current: Buffer | undefined;
  private offset = 0;
  /** Reads that arrived while `current` was still being handed on, oldest first. */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  /** Where the message being scanned starts in `current` (when no partial holds its start). */
  private messageStart = 0;
  /** The sink decodes each message before its end is known (FrameSink.frameAt). */
  private readonly decodesFirst: boolean;

  constructor(
    maxDepth: number,
    readonly maxMessageBytes: number,
    private readonly sink: FrameSink,
  ) {
    this.scanner = new FrameScanner(maxDepth);
    this.decodesFirst = sink.frameAt !== undefined;
  }

  /** Bytes received and not handed on yet, a partly received message aside. */
  get heldBytes(): number {
    return this.current === undefined ? 0 : this.current.length - this.offset + this.queuedBytes;
  }

  /**
   * Takes a read and hands on up to `limit` messages (see handOn). A read that arrives while an
   * earlier one is still being handed on waits behind it, and nothing is handed on now.
   */
  push(chunk: Buffer, limit = Infinity): boolean {
    if (this.current !== undefined) {
      this.queued.push(chunk);
      this.queuedBytes += chunk.length;
      return false;
    }
    this.current = chunk;
    this.offset = 0;
    return this.handOn(limit);
  }

  /**
   * Hands on up to `limit` more messages from the reads taken, in order. Returns true once no
   * whole message is left (a partial one is kept for the next read), false if `limit` stopped it.
   * Throws the scanner's EPROTO on bytes that are not MessagePack: the stream cannot be
   * resynchronised after that, and `failedStart()` gives the start of the message that failed.
   */
  handOn(limit = Infinity): boolean {
    let count = 0;
    while (this.current !== undefined) {
      const chunk = this.current;
      while (this.offset < chunk.length) {
        if (!this.sink.reading) {
          this.dropHeld();
          return true;
        }
        if (count === limit) return false;
        count++;
        this.messageStart = this.offset;
        if (
          this.decodesFirst &&
          this.partialLength === 0 &&
          !this.discarding &&
          chunk.length - this.offset <= this.maxMessageBytes
        ) {
          const decodedEnd = this.sink.frameAt!(chunk, this.offset, chunk.length);
          if (decodedEnd !== -1) {
            this.offset = decodedEnd;
            continue;
          }
        }
        const end = this.scanner.scan(chunk, this.offset);
        if (end === -1) {
          this.keepPartial(chunk, this.offset);
          break;
        }
        if (this.discarding) {
          this.discarding = false;
        } else if (this.partialLength > 0) {
          this.completePartial(chunk, this.offset, end);
        } else if (end - this.offset > this.maxMessageBytes) {
          this.sink.oversized(chunk.subarray(this.offset, end));
        } else {
          this.sink.frame(chunk, this.offset, end);
        }
        this.offset = end;
      }
      this.nextRead();
    }
    return true;
  }

  /** The first bytes of the message the scanner failed in, unless it was being skipped (it was reported then). */
  failedStart(): Buffer | undefined {
    if (this.discarding) return undefined;
    if (this.partialLength > 0) return this.partial.subarray(0, this.partialLength);
    return this.current?.subarray(this.messageStart);
  }

  /** Forgets any partly received message and every read not handed on (the stream is closed). */
  clear(): void {
    this.forgetPartial();
    this.dropHeld();
  }

  private forgetPartial(): void {
    this.partial = Buffer.alloc(0);
    this.partialLength = 0;
  }

  private nextRead(): void {
    this.current = this.queued.shift();
    this.offset = 0;
    if (this.current !== undefined) this.queuedBytes -= this.current.length;
  }

  private dropHeld(): void {
    this.current = undefined;
    this.queued = [];
    this.queuedBytes = 0;
  }

  private completePartial(chunk: Buffer, offset: number, end: number): void {
    if (this.partialLength + end - offset > this.maxMessageBytes) {
      this.sink.oversized(this.partial.subarray(0, this.partialLength));
      this.partialLength = 0;
    } else {
      this.append(chunk, offset, end);
      const length = this.partialLength;
      this.partialLength = 0;
      this.sink.frame(this.partial, 0, length);
    }
    if (this.partial.length > KEEP_PARTIAL_BYTES) this.partial = Buffer.alloc(0);
  }

  private keepPartial(chunk: Buffer, offset: number): void {
    if (this.discarding) return;
    this.append(chunk, offset, chunk.length);
    if (this.partialLength > this.maxMessageBytes) {
      this.sink.oversized(this.partial.subarray(0, this.partialLength));
      this.discarding = true;
      this.forgetPartial();
    }
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
}
