import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';
import { Duplex } from 'node:stream';
import { getSystemErrorName } from 'node:util';
import { ReadBuffer } from '../rpc/read-buffer.js';
import { type AddonOrReason, loadNativeAddon } from '../native/addon.js';
import { socketDescriptor } from './socket-descriptor.js';
import { AddonReads, type Reading, type ReadTarget } from '../native/addon-reads.js';

/** Reads a connection takes through its stream before the addon reads it: a short-lived CLI call never loads it. */
const STREAM_READS_FIRST = 16;

/**
 * A client's Unix socket, read into its ReadBuffer (`reads`): by Node's stream for
 * the connection's first STREAM_READS_FIRST reads, then by the addon with the
 * process's other client sockets (processClientReads), one call into JavaScript a turn
 * for all of them. Without the addon, or its descriptor, Node's stream reads it
 * throughout. Once the addon reads it, pausing, resuming, the end of the stream, a
 * read's error and destroying it reach the addon, and the stream behaves as it did.
 */
export class ClientSocket extends Socket implements ReadTarget {
  private streamReads = 0;
  /** The addon's reads of the socket, while they go on. */
  private addonReads: { readers: AddonReads; handle: Reading } | undefined;
  /** Once the addon took the reads over, Node's stream never reads the descriptor again, even after they end. */
  private streamStopped = false;
  private bufferCheckQueued = false;

  /** Connects to `path`; `readers` gives the reads to join (none: Node's stream reads it throughout). */
  static connect(path: string, readers: () => AddonReads | null = processClientReads): ClientSocket {
    const reads = new ReadBuffer();
    // The socket is not made yet when its read options are: its reads find it through this.
    const to: { socket?: ClientSocket } = {};
    // net.Socket takes `onread` at construction as net.connect passes it, though its typings do not say so.
    const options: SocketConstructorOpts & { onread: OnReadOpts } = {
      onread: { buffer: reads.onread.buffer, callback: (bytes) => to.socket!.streamRead(bytes) },
    };
    const socket = (to.socket = new ClientSocket(reads, readers, options));
    socket.connect({ path });
    return socket;
  }

  private constructor(
    readonly reads: ReadBuffer,
    private readonly readers: () => AddonReads | null,
    options: SocketConstructorOpts,
  ) {
    super(options);
  }

  /** Whether the addon reads the socket now. */
  get readByAddon(): boolean {
    return this.addonReads !== undefined;
  }

  override pause(): this {
    if (this.addonReads !== undefined) this.addonReads.readers.addon.readPause(this.addonReads.handle.read, true);
    return super.pause();
  }

  override resume(): this {
    if (!this.streamStopped) return super.resume();
    if (this.addonReads !== undefined) this.addonReads.readers.addon.readPause(this.addonReads.handle.read, false);
    // net.Socket's own resume would start Node's reads of the descriptor again, beside the addon's.
    Duplex.prototype.resume.call(this);
    return this;
  }

  override read(size?: number): ReturnType<Socket['read']> {
    // net.Socket's own read, like its resume, starts Node's reads of the descriptor when they are stopped.
    return this.streamStopped ? Duplex.prototype.read.call(this, size) : super.read(size);
  }

  override _read(size: number): void {
    if (!this.streamStopped) super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopReading();
    super._destroy(error, callback);
  }

  /** ReadTarget: the addon read `result` bytes into the buffer, or reached the end (0), or failed (-errno). */
  received(result: number): void {
    if (this.addonReads === undefined) return;
    if (result > 0) {
      this.reads.received(result);
      if (this.reads.held && !this.bufferCheckQueued) {
        this.bufferCheckQueued = true;
        setImmediate(this.renewBuffer);
      }
    } else if (result === 0) {
      // As Node's stream does at the end of a socket: the readable side ends, and then the socket closes.
      this.stopReading();
      this.push(null);
      this.read(0);
    } else {
      this.destroy(readError(result));
    }
  }

  /** Node's stream read `bytes` into the buffer: handed on; false (Node stops reading) once the addon takes over. */
  private streamRead(bytes: number): boolean {
    this.reads.received(bytes);
    return ++this.streamReads !== STREAM_READS_FIRST || !this.startReading();
  }

  /** Hands the socket's reads to the addon; false, having changed nothing, when it cannot. */
  private startReading(): boolean {
    const fd = socketDescriptor(this);
    if (fd === undefined || this.destroyed) return false;
    try {
      const readers = this.readers();
      if (readers === null) return false;
      // The receiver may still hold part of the read just handed on: the addon's reads go elsewhere then.
      this.reads.renewIfHeld();
      this.addonReads = { readers, handle: readers.start(this, fd, this.reads.current) };
    } catch {
      // Node's stream goes on reading, as without the addon.
      return false;
    }
    this.streamStopped = true;
    if (this.isPaused()) this.addonReads.readers.addon.readPause(this.addonReads.handle.read, true);
    return true;
  }

  /**
   * The receiver kept part of the read (a long one is handed on a slice a turn): the next read must go
   * into another buffer, unless the rest is handed on before it, as the endpoint's next slice usually is
   * (this immediate is queued after that slice's; see daemon/server/native-reads.ts).
   */
  private readonly renewBuffer = (): void => {
    this.bufferCheckQueued = false;
    if (this.addonReads === undefined || !this.reads.renewIfHeld()) return;
    this.addonReads.readers.addon.readInto(this.addonReads.handle.read, this.reads.current);
  };

  private stopReading(): void {
    if (this.addonReads === undefined) return;
    this.addonReads.readers.stop(this.addonReads.handle);
    this.addonReads = undefined;
  }
}

function readError(errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`read ${code}`), { errno, code, syscall: 'read' });
}

/**
 * The process's AddonReads for its client sockets, made on first use (the addon loaded then), or null
 * without the addon. One per process: the point is that all of its clients' reads share one call a turn.
 */
export function processClientReads(load: () => AddonOrReason = loadNativeAddon): AddonReads | null {
  if (shared === undefined) {
    const addon = load();
    shared = 'missing' in addon ? null : new AddonReads(addon);
  }
  return shared;
}

let shared: AddonReads | null | undefined;
