import type { NativeAddon, NativeRead, NativeReader } from './addon.js';

/** Sockets reported per call into JavaScript; more read in one turn take another call. */
const EVENT_PAIRS = 256;

/** What the addon's reads of one socket are handed to. */
export interface ReadTarget {
  /** The addon read `result` bytes into the socket's buffer, or reached the end (0), or failed (-errno). */
  received(result: number): void;
}

/** One socket the addon reads: its handle, and the slot its reads are reported under. */
export interface Reading {
  readonly read: NativeRead;
  readonly slot: number;
}

/**
 * Unix sockets read by the addon: it polls each socket, reads it once a turn into the
 * socket's buffer, and enters JavaScript once a turn for every socket it read, where
 * Node enters once per read of each (a MakeCallback with its microtask checkpoint, then
 * the stream's onread: bench/README.md, "Reads in one call a turn"). The daemon reads
 * its connections so (daemon/server/native-reads.ts), and a client process its
 * connections to the daemon (src/client/client-socket.ts): the bench's 16 clients, a
 * TUI with its watchers, read their answers together.
 */
export class AddonReads {
  private readonly events = new Int32Array(EVENT_PAIRS * 2);
  private readonly targets: (ReadTarget | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private readonly reader: NativeReader;

  /** `waitMicros`: after a turn that handed reads on, how long the loop watches for more before it sleeps. */
  constructor(
    readonly addon: NativeAddon,
    waitMicros = 0,
  ) {
    this.reader = addon.reader(this.events, (count) => this.deliver(count), waitMicros);
  }

  /** Starts reading socket `fd` into `buffer` for `target`; throws, having started nothing, if it cannot. */
  start(target: ReadTarget, fd: number, buffer: Buffer): Reading {
    const slot = this.freeSlots.pop() ?? this.targets.length;
    let read: NativeRead;
    try {
      read = this.addon.readStart(this.reader, fd, slot, buffer);
    } catch (error) {
      this.freeSlots.push(slot);
      throw error;
    }
    this.targets[slot] = target;
    return { read, slot };
  }

  stop(reading: Reading): void {
    this.addon.readStop(reading.read);
    this.targets[reading.slot] = undefined;
    this.freeSlots.push(reading.slot);
  }

  private deliver(count: number): void {
    const { events, targets } = this;
    let failure: Error | undefined;
    for (let i = 0; i < count; i++) {
      // A socket closed by an earlier one's handler is gone: its read is dropped with it.
      const target = targets[events[2 * i]!];
      if (target === undefined) continue;
      try {
        target.received(events[2 * i + 1]!);
      } catch (error) {
        // One socket's failure must not cost the others their reads; it is thrown once they have them.
        failure ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    if (failure !== undefined) throw failure;
  }
}
