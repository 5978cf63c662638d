import { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { ReadBuffer } from '../../src/rpc/read-buffer.js';
import type { AddonReads, Reading, ReadTarget } from '../../src/native/addon-reads.js';

/**
 * A daemon's connection whose reads the addon does (AddonReads): Node's stream only writes and closes it, so it is
 * made not readable, and its pause, resume and destroy reach the addon. Its reads reach `reads`.
 */
export class NativeReadSocket extends Socket implements ReadTarget {
  readonly reads = new ReadBuffer();
  private reading: Reading | undefined;
  private stopped = false;
  private bufferCheckQueued = false;

  constructor(
    private readonly fd: number,
    private readonly owner: AddonReads,
  ) {
    super({ fd, readable: false, writable: true });
  }

  /** Starts the reads (once the reader is attached to `reads`); throws, having started nothing, if it cannot. */
  startReading(): void {
    // Destroyed already: the caller was refused.
    if (this.stopped) return;
    this.reading = this.owner.start(this, this.fd, this.reads.current);
  }

  override pause(): this {
    if (!this.stopped && this.reading !== undefined) this.owner.addon.readPause(this.reading.read, true);
    return super.pause();
  }

  override resume(): this {
    if (!this.stopped && this.reading !== undefined) this.owner.addon.readPause(this.reading.read, false);
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
    if (this.stopped || this.reading === undefined || !this.reads.renewIfHeld()) return;
    this.owner.addon.readInto(this.reading.read, this.reads.current);
  };

  private stopReading(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reading !== undefined) this.owner.stop(this.reading);
  }
}

function readError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`read ${code}`), { errno, code, syscall: 'read' });
}
