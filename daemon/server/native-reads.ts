import { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { ReadBuffer } from '../../src/rpc/read-buffer.js';
import type { NativeAddon, NativeRead, NativeReader } from '../../src/native/addon.js';

/** Connections reported per call into JavaScript; more read in one turn take another call. */
const EVENT_PAIRS = 256;

/**
 * The reads of every socket the addon accepted on this thread, done by the addon: it polls each
 * socket, reads it once a turn into the socket's ReadBuffer, and enters JavaScript once a turn for
 * all the sockets it read, where Node enters once per read of each (a MakeCallback with its
 * microtask checkpoint, then the stream's onread: bench/README.md, "Reads in one call a turn").
 */
export class NativeReads {
  private readonly events = new Int32Array(EVENT_PAIRS * 2);
  private readonly sockets: (NativeReadSocket | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private readonly reader: NativeReader;

  constructor(readonly addon: NativeAddon) {
    this.reader = addon.reader(this.events, (count) => this.deliver(count));
  }

  /** A socket over descriptor `fd`, which the addon reads once `startReading` is called. */
  socket(fd: number): NativeReadSocket {
    return new NativeReadSocket(fd, this);
  }

  /** Registers `socket` and starts reading it: its reads are reported under the slot returned. */
  start(socket: NativeReadSocket, fd: number, buffer: Buffer): { read: NativeRead; slot: number } {
    const slot = this.freeSlots.pop() ?? this.sockets.length;
    let read: NativeRead;
    try {
      read = this.addon.readStart(this.reader, fd, slot, buffer);
    } catch (error) {
      this.freeSlots.push(slot);
      throw error;
    }
    this.sockets[slot] = socket;
    return { read, slot };
  }

  stop(read: NativeRead, slot: number): void {
    this.addon.readStop(read);
    this.sockets[slot] = undefined;
    this.freeSlots.push(slot);
  }

  private deliver(count: number): void {
    const { events, sockets } = this;
    let failure: Error | undefined;
    for (let i = 0; i < count; i++) {
      // A socket closed by an earlier one's handler (a shutdown, say) is gone: its read is dropped with it.
      const socket = sockets[events[2 * i]!];
      if (socket === undefined) continue;
      try {
        socket.received(events[2 * i + 1]!);
      } catch (error) {
        // One socket's failure must not cost the others their reads; it is thrown once they have them.
        failure ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    if (failure !== undefined) throw failure;
  }
}

/**
 * A socket whose reads the addon does (NativeReads): Node's stream only writes and closes it, so it is
 * made not readable, and its pause, resume and destroy reach the addon. Its reads reach `reads`.
 */
export class NativeReadSocket extends Socket {
  readonly reads = new ReadBuffer();
  private nativeRead: NativeRead | undefined;
  private slot = -1;
  private stopped = false;
  private bufferCheckQueued = false;

  constructor(
    private readonly fd: number,
    private readonly owner: NativeReads,
  ) {
    super({ fd, readable: false, writable: true });
  }

  /** Starts the reads (once the reader is attached to `reads`); throws, having started nothing, if it cannot. */
  startReading(): void {
    // Destroyed already: the caller was refused.
    if (this.stopped) return;
    ({ read: this.nativeRead, slot: this.slot } = this.owner.start(this, this.fd, this.reads.current));
  }

  override pause(): this {
    if (!this.stopped && this.nativeRead !== undefined) this.owner.addon.readPause(this.nativeRead, true);
    return super.pause();
  }

  override resume(): this {
    if (!this.stopped && this.nativeRead !== undefined) this.owner.addon.readPause(this.nativeRead, false);
    return super.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopReading();
    super._destroy(error, callback);
  }

  /** The addon read `result` bytes into the buffer, or reached the end (0), or failed (-errno). */
  received(result: number): void {
    if (this.stopped) return;
    if (result > 0) {
      this.reads.received(result);
      if (this.reads.held && !this.bufferCheckQueued) {
        this.bufferCheckQueued = true;
        setImmediate(this.renewBuffer);
      }
    } else if (result === 0) {
      // As Node's stream does at the end of a socket that is not half-open: send what is queued, then close.
      this.stopReading();
      this.end();
    } else {
      this.destroy(readError(result));
    }
  }

  /**
   * The receiver kept part of the read (a long one is handed on a slice a turn): the next read must go into
   * another buffer, unless the rest is handed on before it, as the endpoint's next slice usually is. Asked
   * where Node's stream asks, just before the next read: this immediate is queued after the endpoint's
   * slice, and it runs before the next poll, since the addon calls JavaScript from a check handle that
   * libuv runs before Node's own (a check handle started later runs earlier).
   */
  private readonly renewBuffer = (): void => {
    this.bufferCheckQueued = false;
    if (this.stopped || this.nativeRead === undefined || !this.reads.renewIfHeld()) return;
    this.owner.addon.readInto(this.nativeRead, this.reads.current);
  };

  private stopReading(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.nativeRead !== undefined) this.owner.stop(this.nativeRead, this.slot);
  }
}

function readError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`read ${code}`), { errno, code, syscall: 'read' });
}
