import {
  type AddonOrReason,
  loadNativeAddon,
  type NativeAddon,
  type NativeRead,
  type NativeReader,
} from '../native/addon.js';

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
 * The reads of a process's Unix client sockets, done by the addon, as the daemon's
 * own connections are (daemon/server/native-reads.ts): each socket is polled on a
 * duplicate of its descriptor and read once a turn, and JavaScript is entered once
 * a turn for every socket read, where Node enters once per read of each (a
 * MakeCallback with its microtask checkpoint, then the stream's onread). A process
 * with many connections (the bench's 16 clients, a TUI with its watchers) reads
 * their answers together.
 */
export class ClientReads {
  private readonly events = new Int32Array(EVENT_PAIRS * 2);
  private readonly targets: (ReadTarget | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private readonly reader: NativeReader;

  constructor(readonly addon: NativeAddon) {
    this.reader = addon.reader(this.events, (count) => this.deliver(count));
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
        // One client's failure must not cost the others their answers; it is thrown once they have them.
        failure ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    if (failure !== undefined) throw failure;
  }
}

/**
 * The process's ClientReads, made on first use (the addon loaded then), or null without the addon.
 * One per process: the point is that all of its clients' reads share one call a turn.
 */
export function processClientReads(load: () => AddonOrReason = loadNativeAddon): ClientReads | null {
  if (shared === undefined) {
    const addon = load();
    shared = 'missing' in addon ? null : new ClientReads(addon);
  }
  return shared;
}

let shared: ClientReads | null | undefined;
