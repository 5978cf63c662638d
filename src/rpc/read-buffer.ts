import type { OnReadOpts } from 'node:net';

/** As large as the buffer Node reads into by default, so that no read takes more system calls than before. */
const READ_BYTES = 64 * 1024;

/** What a socket's reads are handed to, each while it is still in the buffer. */
export interface ReadReceiver {
  receive(chunk: Buffer): void;
  /** Whether the receiver still holds bytes of the last read (it hands a long read on in slices). */
  holdsInput(): boolean;
}

/**
 * One buffer that a socket reads into again and again (net.Socket's `onread`),
 * in place of what Node makes for every read otherwise: a 64 KiB allocation, an
 * ArrayBuffer and a Buffer over it, and the stream's push and 'data' event. That
 * is about 7,000 instructions per read, a third of a bare echo's side of a round
 * trip (bench/README.md, "The sequential round trip"). A read is handed on while
 * it is in the buffer and valid only during that call, as FrameSink already
 * promises; when the receiver keeps part of it (a long read handed on in
 * slices), the next read goes into a new buffer instead of over it.
 *
 * For sockets created with `onread: reads.onread` (their 'data' events never fire), and for those the
 * addon reads (daemon/server/native-reads.ts), which read into `current` and call `received`.
 */
export class ReadBuffer {
  private buffer = Buffer.allocUnsafeSlow(READ_BYTES);
  private receiver: ReadReceiver | undefined;
  /** The last read handed on, a view of `buffer` (see readOf); a new buffer starts it over. */
  private last: Buffer = this.buffer.subarray(0, 0);
  /** The socket's `onread` option. */
  readonly onread: OnReadOpts = {
    buffer: () => this.next(),
    callback: (bytes) => {
      this.received(bytes);
      // Pausing goes through socket.pause(), which stops reads of an `onread` socket too.
      return true;
    },
  };

  /** Hands every later read to `receiver`. */
  attach(receiver: ReadReceiver): void {
    this.receiver = receiver;
  }

  /** The buffer the last read went into, and the next goes into unless renewIfHeld() takes another. */
  get current(): Buffer {
    return this.buffer;
  }

  /** Hands on the first `bytes` of the buffer, just read into. */
  received(bytes: number): void {
    this.receiver?.receive(this.readOf(bytes));
  }

  /** Whether the receiver still holds part of the last read. */
  get held(): boolean {
    return this.receiver?.holdsInput() === true;
  }

  /** Takes a new buffer for the next read if the receiver still holds part of the last; true if it did. */
  renewIfHeld(): boolean {
    if (!this.held) return false;
    this.buffer = Buffer.allocUnsafeSlow(READ_BYTES);
    this.last = this.buffer.subarray(0, 0);
    return true;
  }

  /**
   * The `bytes` just read into the buffer, as a view. Answers of one kind are all the same size, so a
   * sequential caller's reads usually are too: the view of the last read then serves again, which saves
   * making a typed array, and the decoder's check of its memory (it keeps its views while given the same
   * bytes object). Safe because a read is valid only during its call, and a receiver still holding part
   * of one gets its next read in a new buffer.
   */
  private readOf(bytes: number): Buffer {
    if (this.last.length !== bytes) this.last = this.buffer.subarray(0, bytes);
    return this.last;
  }

  /** The buffer for the next read: the same one, unless the receiver still holds part of the last. */
  private next(): Buffer {
    this.renewIfHeld();
    return this.buffer;
  }
}
