import { FrameScanner } from '../protocol/frame-scanner.js';

/** Where the reader hands what it cuts. */
export interface FrameSink {
  /**
   * One whole message: `buf` from `start` to `end`, handed as a range so that no view is made
   * for each message. `buf` may be a reused buffer: the bytes are valid only during the call.
   */
  frame(buf: Buffer, start: number, end: number): void;
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
 * stays in sync without buffering it.
 */
export class FrameReader {
  private readonly scanner: FrameScanner;
  /** Bytes of a message that spans reads. */
  private partial = Buffer.alloc(0);
  private partialLength = 0;
  /** Skipping the rest of an oversized message. */
  private discarding = false;
  /** Where the message being scanned starts in the current chunk (when no partial holds its start). */
  private messageStart = 0;

  constructor(
    maxDepth: number,
    readonly maxMessageBytes: number,
    private readonly sink: FrameSink,
  ) {
    this.scanner = new FrameScanner(maxDepth);
  }

  /**
   * Hands on every message that completes in `chunk`. Throws the scanner's EPROTO
   * on bytes that are not MessagePack: the stream cannot be resynchronised after
   * that, and `failedStart(chunk)` gives the start of the message that failed.
   */
  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && this.sink.reading) {
      this.messageStart = offset;
      const end = this.scanner.scan(chunk, offset);
      if (end === -1) {
        this.keepPartial(chunk, offset);
        return;
      }
      if (this.discarding) {
        this.discarding = false;
      } else if (this.partialLength > 0) {
        this.completePartial(chunk, offset, end);
      } else if (end - offset > this.maxMessageBytes) {
        this.sink.oversized(chunk.subarray(offset, end));
      } else {
        this.sink.frame(chunk, offset, end);
      }
      offset = end;
    }
  }

  /** The first bytes of the message the scanner failed in, unless it was being skipped (it was reported then). */
  failedStart(chunk: Buffer): Buffer | undefined {
    if (this.discarding) return undefined;
    return this.partialLength > 0 ? this.partial.subarray(0, this.partialLength) : chunk.subarray(this.messageStart);
  }

  /** Forgets any partly received message (the stream is closed). */
  clear(): void {
    this.partial = Buffer.alloc(0);
    this.partialLength = 0;
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
      this.clear();
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
