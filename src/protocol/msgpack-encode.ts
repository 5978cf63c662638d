import { CortexError } from './errors.js';
import { MAX_DEPTH, RawMsgpack } from './msgpack-types.js';

const TWO_32 = 2 ** 32;
/** The UTF-8 of a string this long or shorter fits in 255 bytes (three bytes a UTF-16 unit at most). */
const STR8_UNITS = 85;

/**
 * A MessagePack encoder writing plain, interoperable MessagePack (no extensions
 * except the standard timestamp) into one growing buffer, so a burst of
 * responses becomes a single socket write.
 */
export class Encoder {
  private buf: Buffer;
  private pos = 0;
  /** The last view written() made, and the buffer it is a view of (see written). */
  private view: Buffer;
  private viewOf: Buffer;

  constructor(initialSize = 8192) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.viewOf = this.buf;
    this.view = this.buf.subarray(0, 0);
  }

  get length(): number {
    return this.pos;
  }

  /** Returns a copy of everything written so far and starts again empty. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(8192);
    return out;
  }

  /**
   * The bytes written so far, as a view of the encoder's own buffer, for a reader that copies them
   * at once (a socket's send); then restart() says whether it kept them. A sequential caller's
   * messages are mostly of one length, and the last view then serves again: no typed array made.
   */
  written(): Buffer {
    if (this.view.length !== this.pos || this.viewOf !== this.buf) {
      this.view = this.buf.subarray(0, this.pos);
      this.viewOf = this.buf;
    }
    return this.view;
  }

  /** Starts again empty after written(): in the same buffer, unless `kept` (the view is still read from). */
  restart(kept: boolean): void {
    this.pos = 0;
    if (kept || this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(8192);
  }

  /**
   * Hands over the bytes written so far as they are, without the copy take() makes, and starts
   * again on a new buffer: for an encoder that made one message for many readers.
   */
  detach(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(64);
    this.pos = 0;
    return out;
  }

  /** Encodes one value; if it cannot be encoded, nothing of it stays written. */
  encode(value: unknown): void {
    const start = this.pos;
    try {
      this.write(value, 0);
    } catch (error) {
      this.pos = start;
      throw error;
    }
  }

  /** Forgets everything written since `position` (a value of `length` taken earlier). */
  truncate(position: number): void {
    this.pos = Math.min(position, this.pos);
  }

  /** Writes `bytes` as they are: MessagePack the caller made (see messages.ts's OK). */
  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * Writes one byte as it is (MessagePack the caller made, see messages.ts's writeResponse): for a few bytes
   * known in advance, cheaper than append, whose `set` costs ~170 instructions whatever the size.
   */
  appendByte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /**
   * Writes an integer from 0 to 2^32-1 (a msgid) without encode()'s dispatch; anything else as encode() would.
   * A response's msgid is written per call, and going through encode() cost ~250 instructions.
   */
  uint32(value: number): void {
    if (value >= 0 && value < TWO_32 && Number.isInteger(value)) this.writeNumber(value);
    else this.encode(value);
  }

  /** Writes an array header; the caller then encodes `size` values. */
  arrayHeader(size: number): void {
    this.ensure(5);
    if (size < 16) this.buf[this.pos++] = 0x90 | size;
    else if (size < 0x10000) {
      this.buf[this.pos++] = 0xdc;
      this.buf.writeUInt16BE(size, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdd;
      this.buf.writeUInt32BE(size, this.pos);
      this.pos += 4;
    }
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  // An if chain of typeof tests, not a switch: the optimising compiler turns each test into a check of the
  // value's map, where a switch asks the Typeof builtin for the type's name and compares strings.
  private write(value: unknown, depth: number): void {
    if (typeof value === 'string') return this.writeString(value);
    if (typeof value === 'number') return this.writeNumber(value);
    if (typeof value === 'object') {
      if (value === null) {
        this.ensure(1);
        this.buf[this.pos++] = 0xc0;
        return;
      }
      if (depth >= MAX_DEPTH) {
        throw new CortexError('EINVAL', `A value nests deeper than ${MAX_DEPTH} levels.`);
      }
      return this.writeObject(value, depth + 1);
    }
    if (typeof value === 'boolean') {
      this.ensure(1);
      this.buf[this.pos++] = value ? 0xc3 : 0xc2;
      return;
    }
    if (typeof value === 'bigint') return this.writeBigInt(value);
    if (typeof value === 'undefined') {
      this.ensure(1);
      this.buf[this.pos++] = 0xc0;
      return;
    }
    throw new CortexError('EINVAL', `A value of type ${typeof value} cannot be sent as MessagePack.`);
  }

  private writeObject(value: object, depth: number): void {
    if (Array.isArray(value)) {
      this.arrayHeader(value.length);
      for (const item of value) this.write(item, depth);
      return;
    }
    if (value instanceof Uint8Array) return this.writeBinary(value);
    if (value instanceof RawMsgpack) {
      this.ensure(value.bytes.length);
      this.buf.set(value.bytes, this.pos);
      this.pos += value.bytes.length;
      return;
    }
    if (value instanceof Date) return this.writeTimestamp(value);
    if (value instanceof Map) {
      this.mapHeader(value.size);
      for (const [k, v] of value as Map<unknown, unknown>) {
        this.write(k, depth);
        this.write(v, depth);
      }
      return;
    }
    this.writePlainObject(value as Record<string, unknown>, depth);
  }

  /**
   * A plain object as a map of its own enumerable keys (an undefined value is left out), in
   * one pass: a one-byte header is reserved and filled in at the end, and in the rare map of 16
   * entries or more the entries move up to make room for the longer header.
   */
  private writePlainObject(record: Record<string, unknown>, depth: number): void {
    this.ensure(1);
    const start = this.pos++;
    let size = 0;
    for (const key in record) {
      // Not Object.hasOwn, which is a call per key: this form the optimising compiler reduces to a map check.
      if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
      const item = record[key];
      if (item === undefined) continue;
      this.writeString(key);
      this.write(item, depth);
      size++;
    }
    if (size < 16) {
      this.buf[start] = 0x80 | size;
      return;
    }
    const header = size < 0x10000 ? 3 : 5;
    this.ensure(header - 1);
    this.buf.copyWithin(start + header, start + 1, this.pos);
    this.pos += header - 1;
    const end = this.pos;
    this.pos = start;
    this.mapHeader(size);
    this.pos = end;
  }

  private mapHeader(size: number): void {
    this.ensure(5);
    if (size < 16) this.buf[this.pos++] = 0x80 | size;
    else if (size < 0x10000) {
      this.buf[this.pos++] = 0xde;
      this.buf.writeUInt16BE(size, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdf;
      this.buf.writeUInt32BE(size, this.pos);
      this.pos += 4;
    }
  }

  private writeString(value: string): void {
    const length = value.length;
    if (length < 32 && this.writeShortAscii(value)) return;
    if (length <= STR8_UNITS) return this.writeStr8(value);
    const size = Buffer.byteLength(value, 'utf8');
    this.ensure(size + 5);
    const buf = this.buf;
    if (size < 0x100) {
      buf[this.pos++] = 0xd9;
      buf[this.pos++] = size;
    } else if (size < 0x10000) {
      buf[this.pos++] = 0xda;
      buf.writeUInt16BE(size, this.pos);
      this.pos += 2;
    } else {
      buf[this.pos++] = 0xdb;
      buf.writeUInt32BE(size, this.pos);
      this.pos += 4;
    }
    buf.write(value, this.pos, size, 'utf8');
    this.pos += size;
  }

  /**
   * A string of at most STR8_UNITS units in one pass: its UTF-8 written after room for a str8 header,
   * which is then filled in, without asking its length in bytes first (a second pass in C++). Only a
   * short string of other than ASCII can come out under 32 bytes: it moves back one for a fixstr header.
   */
  private writeStr8(value: string): void {
    const room = value.length * 3;
    this.ensure(room + 2);
    const buf = this.buf;
    const size = buf.write(value, this.pos + 2, room, 'utf8');
    if (size < 32) {
      buf.copyWithin(this.pos + 1, this.pos + 2, this.pos + 2 + size);
      buf[this.pos] = 0xa0 | size;
      this.pos += 1 + size;
      return;
    }
    buf[this.pos] = 0xd9;
    buf[this.pos + 1] = size;
    this.pos += 2 + size;
  }

  /** A fixstr in one pass over an ASCII string; false, having written nothing, at its first other character. */
  private writeShortAscii(value: string): boolean {
    const size = value.length;
    this.ensure(size + 1);
    const buf = this.buf;
    const start = this.pos + 1;
    for (let i = 0; i < size; i++) {
      const code = codeAt(value, i);
      if (code > 0x7f) return false;
      buf[start + i] = code;
    }
    buf[this.pos] = 0xa0 | size;
    this.pos = start + size;
    return true;
  }

  private writeNumber(value: number): void {
    this.ensure(9);
    const buf = this.buf;
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
      if (value >= 0) {
        if (value < 0x80) buf[this.pos++] = value;
        else if (value < 0x100) {
          buf[this.pos++] = 0xcc;
          buf[this.pos++] = value;
        } else if (value < 0x10000) {
          // Byte by byte, not writeUInt16BE/32BE: those are calls that check their arguments (a msgid is written per call).
          buf[this.pos] = 0xcd;
          buf[this.pos + 1] = value >>> 8;
          buf[this.pos + 2] = value & 0xff;
          this.pos += 3;
        } else if (value < TWO_32) {
          buf[this.pos] = 0xce;
          buf[this.pos + 1] = value >>> 24;
          buf[this.pos + 2] = (value >>> 16) & 0xff;
          buf[this.pos + 3] = (value >>> 8) & 0xff;
          buf[this.pos + 4] = value & 0xff;
          this.pos += 5;
        } else {
          buf[this.pos++] = 0xcf;
          buf.writeUInt32BE(Math.floor(value / TWO_32), this.pos);
          buf.writeUInt32BE(value % TWO_32, this.pos + 4);
          this.pos += 8;
        }
      } else if (value >= -32) buf[this.pos++] = value & 0xff;
      else if (value >= -0x80) {
        buf[this.pos++] = 0xd0;
        buf.writeInt8(value, this.pos++);
      } else if (value >= -0x8000) {
        buf[this.pos++] = 0xd1;
        buf.writeInt16BE(value, this.pos);
        this.pos += 2;
      } else if (value >= -0x80000000) {
        buf[this.pos++] = 0xd2;
        buf.writeInt32BE(value, this.pos);
        this.pos += 4;
      } else {
        buf[this.pos++] = 0xd3;
        buf.writeBigInt64BE(BigInt(value), this.pos);
        this.pos += 8;
      }
      return;
    }
    buf[this.pos++] = 0xcb;
    buf.writeDoubleBE(value, this.pos);
    this.pos += 8;
  }

  private writeBigInt(value: bigint): void {
    this.ensure(9);
    if (value >= 0n && value < 1n << 64n) {
      this.buf[this.pos++] = 0xcf;
      this.buf.writeBigUInt64BE(value, this.pos);
    } else if (value < 0n && value >= -(1n << 63n)) {
      this.buf[this.pos++] = 0xd3;
      this.buf.writeBigInt64BE(value, this.pos);
    } else {
      throw new CortexError('EINVAL', `The integer ${value} does not fit in 64 bits.`);
    }
    this.pos += 8;
  }

  private writeBinary(value: Uint8Array): void {
    const size = value.length;
    this.ensure(size + 5);
    if (size < 0x100) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = size;
    } else if (size < 0x10000) {
      this.buf[this.pos++] = 0xc5;
      this.buf.writeUInt16BE(size, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xc6;
      this.buf.writeUInt32BE(size, this.pos);
      this.pos += 4;
    }
    this.buf.set(value, this.pos);
    this.pos += size;
  }

  /** The standard timestamp extension (type -1), in its 96-bit form. */
  private writeTimestamp(value: Date): void {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new CortexError('EINVAL', 'An invalid Date cannot be sent.');
    const seconds = Math.floor(ms / 1000);
    const nanos = (ms - seconds * 1000) * 1e6;
    this.ensure(15);
    this.buf[this.pos++] = 0xc7;
    this.buf[this.pos++] = 12;
    this.buf[this.pos++] = 0xff;
    this.buf.writeUInt32BE(nanos, this.pos);
    this.buf.writeBigInt64BE(BigInt(seconds), this.pos + 4);
    this.pos += 12;
  }
}

/**
 * The UTF-16 code unit at `index`, by calling String.prototype.charCodeAt on the string rather than looking it
 * up on it: the daemon's strings come in many internal shapes (literals, slices, parsed, concatenated), which
 * made `value.charCodeAt` a megamorphic load at every character (a fifth of the daemon's instructions per event).
 */
function codeAt(value: string, index: number): number {
  return String.prototype.charCodeAt.call(value, index);
}

const shared = new Encoder();

/** Encodes one value into a fresh buffer. */
export function encode(value: unknown): Buffer {
  shared.encode(value);
  return shared.take();
}
