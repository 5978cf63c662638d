import { CortexError } from './errors.js';
import { MAX_DEPTH } from './msgpack-types.js';

/**
 * Finds where each top-level MessagePack value ends in a byte stream that has no
 * length prefixes. It walks only the structure (headers and lengths), keeps its
 * place between chunks, and never looks at a byte twice, so a large message that
 * arrives in many reads costs linear time. It needs no buffering of its own: the
 * caller decides whether to keep the bytes (normal) or drop them (skipping an
 * oversized message while staying in sync with the stream).
 */
export class FrameScanner {
  /** Items still expected in each open array or map (a map counts keys and values). */
  private readonly open: number[] = [];
  /** Payload bytes of the current string, binary, number or extension still to pass. */
  private skip = 0;
  /** A header split across chunks: the bytes seen so far and how many it has in all. */
  private readonly header = new Uint8Array(9);
  private headerHave = 0;
  private headerSize = 0;

  /** `maxDepth`: how many containers may be open at once (the daemon passes MAX_REQUEST_DEPTH). */
  constructor(private readonly maxDepth = MAX_DEPTH) {}

  /** True when the scanner is between messages. */
  get idle(): boolean {
    return this.open.length === 0 && this.skip === 0 && this.headerSize === 0;
  }

  /**
   * Scans `chunk` from `offset`. Returns the offset just past the end of the
   * message that completes in this chunk, or -1 when the chunk ran out first.
   * Throws EPROTO on a byte that is not MessagePack or on nesting past maxDepth;
   * after that the stream cannot be resynchronised.
   */
  scan(chunk: Uint8Array, offset: number): number {
    let i = offset;
    const length = chunk.length;
    while (i < length) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, length - i);
        this.skip -= step;
        i += step;
        if (this.skip > 0) return -1;
        if (this.itemDone()) return i;
        continue;
      }
      if (this.headerSize > 0) {
        while (this.headerHave < this.headerSize && i < length) this.header[this.headerHave++] = chunk[i++]!;
        if (this.headerHave < this.headerSize) return -1;
        const done = this.parseHeader(this.header, 0);
        this.headerSize = 0;
        this.headerHave = 0;
        if (done && this.itemDone()) return i;
        continue;
      }
      const type = chunk[i]!;
      // Most items of a message are small integers and short strings: passed whole when they fit.
      if (type < 0x80 || type >= 0xe0) {
        i++;
        if (this.itemDone()) return i;
        continue;
      }
      if (type >= 0xa0 && type < 0xc0 && i + 1 + (type & 0x1f) <= length) {
        i += 1 + (type & 0x1f);
        if (this.itemDone()) return i;
        continue;
      }
      const size = headerSize(type);
      if (i + size <= length) {
        const done = this.parseHeader(chunk, i);
        i += size;
        if (done && this.itemDone()) return i;
      } else {
        this.headerSize = size;
        this.headerHave = 0;
        while (i < length) this.header[this.headerHave++] = chunk[i++]!;
      }
    }
    return -1;
  }

  /** Forgets a partly scanned message (after the connection gave up on it). */
  reset(): void {
    this.open.length = 0;
    this.skip = 0;
    this.headerSize = 0;
    this.headerHave = 0;
  }

  /** Reads one complete header; returns true when the item it starts is already complete. */
  private parseHeader(bytes: Uint8Array, at: number): boolean {
    const type = bytes[at]!;
    if (type < 0x80 || type >= 0xe0) return true;
    if (type < 0x90) return this.openContainer((type & 0x0f) * 2);
    if (type < 0xa0) return this.openContainer(type & 0x0f);
    if (type < 0xc0) return this.payload(type & 0x1f);
    switch (type) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.payload(bytes[at + 1]!);
      case 0xc5:
      case 0xda:
        return this.payload(u16(bytes, at + 1));
      case 0xc6:
      case 0xdb:
        return this.payload(u32(bytes, at + 1));
      case 0xc7:
        return this.payload(bytes[at + 1]!);
      case 0xc8:
        return this.payload(u16(bytes, at + 1));
      case 0xc9:
        return this.payload(u32(bytes, at + 1));
      case 0xca:
      case 0xce:
      case 0xd2:
        return this.payload(4);
      case 0xcb:
      case 0xcf:
      case 0xd3:
        return this.payload(8);
      case 0xcc:
      case 0xd0:
        return this.payload(1);
      case 0xcd:
      case 0xd1:
        return this.payload(2);
      case 0xd4:
        return this.payload(2);
      case 0xd5:
        return this.payload(3);
      case 0xd6:
        return this.payload(5);
      case 0xd7:
        return this.payload(9);
      case 0xd8:
        return this.payload(17);
      case 0xdc:
        return this.openContainer(u16(bytes, at + 1));
      case 0xdd:
        return this.openContainer(u32(bytes, at + 1));
      case 0xde:
        return this.openContainer(u16(bytes, at + 1) * 2);
      case 0xdf:
        return this.openContainer(u32(bytes, at + 1) * 2);
      default:
        throw new CortexError('EPROTO', `0x${type.toString(16)} is not a MessagePack type byte.`);
    }
  }

  private payload(size: number): boolean {
    this.skip = size;
    return size === 0;
  }

  private openContainer(items: number): boolean {
    if (items === 0) return true;
    if (this.open.length >= this.maxDepth) {
      throw new CortexError('EPROTO', `A message nests deeper than ${this.maxDepth} levels.`);
    }
    this.open.push(items);
    return false;
  }

  /** Counts one finished item against its container; true when a whole message is done. */
  private itemDone(): boolean {
    const open = this.open;
    while (open.length > 0) {
      const last = open.length - 1;
      const left = open[last]! - 1;
      if (left > 0) {
        open[last] = left;
        return false;
      }
      open.pop();
    }
    return true;
  }
}

/** The size of the header that a type byte starts, payload not included. */
function headerSize(type: number): number {
  if (type < 0xc0 || type >= 0xe0) return 1;
  switch (type) {
    case 0xc4:
    case 0xd9:
      return 2;
    case 0xc7:
      return 3;
    case 0xc5:
    case 0xda:
    case 0xdc:
    case 0xde:
      return 3;
    case 0xc8:
      return 4;
    case 0xc6:
    case 0xdb:
    case 0xdd:
    case 0xdf:
      return 5;
    case 0xc9:
      return 6;
    default:
      return 1;
  }
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32(bytes: Uint8Array, at: number): number {
  return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

/**
 * Reads the msgid of a request from the first bytes of a message, without
 * decoding the rest, so an oversized or malformed request can still be answered.
 */
export function peekRequestId(bytes: Uint8Array): number | undefined {
  const head = bytes[0];
  if (head === undefined || head < 0x91 || head > 0x9f || bytes[1] !== 0x00) return undefined;
  const type = bytes[2];
  if (type === undefined) return undefined;
  if (type < 0x80) return type;
  if (type === 0xcc && bytes.length >= 4) return bytes[3];
  if (type === 0xcd && bytes.length >= 5) return u16(bytes, 3);
  if (type === 0xce && bytes.length >= 7) return u32(bytes, 3);
  return undefined;
}
