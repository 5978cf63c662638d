import { CortexError } from './errors.js';
import { EncodedMap, MAX_DEPTH, type MsgMap, type MsgValue } from './msgpack-types.js';
import { SHORT_STRING_BYTES, shortAscii } from './short-strings.js';

const TWO_32 = 2 ** 32;

function invalid(message: string): CortexError {
  return new CortexError('EPROTO', message);
}

/**
 * The field of a method's params whose map a decoder leaves as its bytes (an EncodedMap): the field's
 * name, for params sent as a map, and its position, for params sent in order.
 */
export interface EncodedField {
  name: string;
  position: number;
}

const NO_ENCODED_FIELDS: ReadonlyMap<string, EncodedField> = new Map();

/**
 * What a decode not given its value's end (`whole` false) throws when the value runs past the limit:
 * made once, since a stream's reader meets it at the end of nearly every read and only looks for it.
 */
const RUNS_PAST = invalid('The MessagePack value runs past the end of the bytes given.');

/**
 * A MessagePack decoder for one complete value. Maps become plain objects whose
 * keys are own data properties, so a key such as `__proto__` is kept as data and
 * never reaches an object's prototype (msgpackr, by contrast, renames it).
 */
export class Decoder {
  private buf: Buffer = Buffer.alloc(0);
  private data = new DataView(this.buf.buffer, this.buf.byteOffset, 0);
  /**
   * The memory `buf` views, and where in it `buf` starts: kept, because reading a typed array's
   * `buffer` and `byteOffset` is a call V8 does not inline here, and a left map's view needs both.
   */
  private memory: ArrayBufferLike = this.buf.buffer;
  private memoryOffset = this.buf.byteOffset;
  /** What decode() was last given, whose views buf and data are. */
  private bytes: Uint8Array | undefined;
  private pos = 0;
  /** The maps of the last message whose bytes are kept, and where each starts and ends in `buf`. */
  private readonly kept: object[] = [];
  private readonly keptAt: number[] = [];
  /** Where the last lookup in `kept` succeeded: records are looked up in the order they were decoded. */
  private found = 0;
  private end = 0;
  /** Whether any depth keeps its maps' bytes: most decoders (every client's) keep none. */
  private readonly keeping: boolean;
  /** Whether the last decode was given its value's end (see decode). */
  private whole = true;
  /** The params of the notification decodeNotification last read, until taken. */
  private params: MsgValue = null;
  /** The error of the response decodeResponse last read, until taken. */
  private responseError: MsgValue = null;
  /** The method of the request decodeRequest last read. */
  private requestMethod = '';
  /** The map readLeaving last left encoded, and where it starts and ends in `buf`, until the views change. */
  private leftMap: EncodedMap | undefined;
  private leftAt = 0;
  private leftEnd = 0;

  /** `maxDepth`: how deep values may nest (the daemon passes MAX_REQUEST_DEPTH). */
  constructor(
    private readonly maxDepth = MAX_DEPTH,
    /** Depths at which decoded maps remember their bytes (see rawBytesOf). */
    private readonly keepRawAt: ReadonlySet<number> = new Set(),
    /** By method: the field of a request's params that decodeRequest leaves encoded when it is a map. */
    private readonly leaveEncoded: ReadonlyMap<string, EncodedField> = NO_ENCODED_FIELDS,
  ) {
    this.keeping = keepRawAt.size > 0;
  }

  /**
   * Decodes the value from `start` to `end`. With `whole` false, `end` is only a limit: the value
   * may end before it, and `valueEnd` says where it did (a stream's reader decodes a message
   * before knowing where it ends, see FrameSink.frameAt).
   */
  decode(bytes: Uint8Array, start = 0, end = bytes.length, whole = true): MsgValue {
    this.startAt(bytes, start, end, whole);
    if (this.keeping) this.startKeeping();
    const value = this.read(0);
    if (whole) this.endsAt(end);
    return value;
  }

  /** Sets up a decode of `bytes` from `at`; a read is decoded message by message, so its views are made once. */
  private startAt(bytes: Uint8Array, at: number, end: number, whole: boolean): void {
    if (bytes !== this.bytes) this.view(bytes);
    this.pos = at;
    this.end = Math.min(end, bytes.length);
    this.whole = whole;
  }

  /** Where the value last decoded ended. */
  get valueEnd(): number {
    return this.pos;
  }

  /**
   * Decodes a msgpack-rpc notification `[2, method, params]` whose method is a fixstr without
   * making its array (subscribers receive tens of thousands a second): returns the method, and
   * takeNotificationParams() the params. Anything else returns undefined having read nothing,
   * for decode() to take. The same limits, errors and `whole` as decode().
   */
  decodeNotification(bytes: Uint8Array, start: number, end: number, whole = true): string | undefined {
    if (end - start < 4 || bytes[start] !== 0x93 || bytes[start + 1] !== 0x02) return undefined;
    const head = bytes[start + 2]!;
    if (head < 0xa0 || head >= 0xc0) return undefined;
    this.startAt(bytes, start + 3, end, whole);
    if (this.keeping) this.startKeeping();
    const method = this.readString(head & 0x1f);
    const params = this.read(1);
    if (whole) this.endsAt(end);
    this.params = params;
    return method;
  }

  /**
   * Decodes a msgpack-rpc response `[1, msgid, error, result]` whose msgid is an unsigned integer without
   * making its array (a client takes one per call): returns the msgid, and takeResponseError() and
   * takeNotificationParams() the error and the result. Anything else returns -1 having read nothing, for
   * decode() to take. The same limits, errors and `whole` as decode().
   */
  decodeResponse(bytes: Uint8Array, start: number, end: number, whole = true): number {
    if (end - start < 5 || bytes[start] !== 0x94 || bytes[start + 1] !== 0x01) return -1;
    const head = bytes[start + 2]!;
    if (!isUintHead(head)) return -1;
    this.startAt(bytes, start + 2, end, whole);
    if (this.keeping) this.startKeeping();
    const id = this.read(1) as number;
    this.responseError = this.read(1);
    this.params = this.read(1);
    if (whole) this.endsAt(end);
    return id;
  }

  /**
   * Decodes a msgpack-rpc request `[0, msgid, method, params]` whose msgid is an unsigned integer and
   * whose method is a fixstr without making its array (the daemon takes one per call): returns the
   * msgid, `method` the method and takeNotificationParams() the params, in which the field
   * `leaveEncoded` names for the method is an EncodedMap when it is a map whose keys are strings.
   * Anything else returns -1 for decode() to take. The same limits, errors and `whole` as decode().
   */
  decodeRequest(bytes: Uint8Array, start: number, end: number, whole = true): number {
    if (end - start < 5 || bytes[start] !== 0x94 || bytes[start + 1] !== 0x00) return -1;
    const head = bytes[start + 2]!;
    if (!isUintHead(head)) return -1;
    this.startAt(bytes, start + 2, end, whole);
    const id = this.read(1) as number;
    const methodHead = this.pos < this.end ? this.buf[this.pos]! : 0;
    if (methodHead < 0xa0 || methodHead >= 0xc0) return -1;
    this.pos++;
    if (this.keeping) this.startKeeping();
    const method = this.readString(methodHead & 0x1f);
    const field = this.leaveEncoded.size === 0 ? undefined : this.leaveEncoded.get(method);
    const params = field === undefined ? this.read(1) : this.readParamsLeaving(field);
    if (whole) this.endsAt(end);
    this.requestMethod = method;
    this.params = params;
    return id;
  }

  /** The method of the request decodeRequest last decoded. */
  get method(): string {
    return this.requestMethod;
  }

  /** Whether `map` is the map this decoder last left encoded, and its views still those of its message. */
  holds(map: EncodedMap): boolean {
    return map === this.leftMap;
  }

  /**
   * The values of the fields `names` (ASCII, as attribute names are) of the map this decoder last left
   * encoded (see holds), in the order of `names`, undefined for a field it lacks (a field given twice: its
   * last value, as in a decoded object); the others are skipped: it was checked when it was left encoded.
   */
  fieldValuesOf(names: readonly string[]): (MsgValue | undefined)[] {
    this.pos = this.leftAt;
    this.end = this.leftEnd;
    this.whole = true;
    const head = this.buf[this.pos++]!;
    const size = head < 0x90 ? head & 0x0f : this.readUint(head === 0xde ? 2 : 4);
    const values: (MsgValue | undefined)[] = [];
    for (let n = 0; n < names.length; n++) values.push(undefined);
    for (let i = 0; i < size; i++) {
      const type = this.buf[this.pos]!;
      let index: number;
      if (type >= 0xa0 && type < 0xc0) {
        // Compared as bytes: no string is made for the keys not asked for.
        index = nameAt(this.buf, this.pos + 1, type & 0x1f, names);
        this.pos += 1 + (type & 0x1f);
      } else {
        index = names.indexOf(this.read(1) as string);
      }
      if (index === -1) this.skipShort(1);
      else values[index] = this.read(1);
    }
    return values;
  }

  /** The error of the response just decoded (null for none); the decoder keeps no reference to it. */
  takeResponseError(): MsgValue {
    const error = this.responseError;
    this.responseError = null;
    return error;
  }

  /** The params of the notification just decoded; the decoder keeps no reference to them. */
  takeNotificationParams(): MsgValue {
    const params = this.params;
    this.params = null;
    return params;
  }

  /** The error for a value that does not fit in the bytes: RUNS_PAST when they may be only its start. */
  private cutShort(message: string): CortexError {
    return this.whole ? invalid(message) : RUNS_PAST;
  }

  private endsAt(end: number): void {
    if (this.pos !== end) throw invalid(`${end - this.pos} unexpected bytes follow a MessagePack value.`);
  }

  private view(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.leftMap = undefined;
    // A socket that reads into one buffer (ReadBuffer) hands on a new view of the same memory per read:
    // the views reach to the end of that memory, so they serve every read; `end` bounds each decode.
    const memory = bytes.buffer;
    const offset = bytes.byteOffset;
    if (memory === this.memory && offset === this.memoryOffset) return;
    const length = memory.byteLength - offset;
    this.buf = Buffer.from(memory, offset, length);
    this.data = new DataView(memory, offset, length);
    this.memory = memory;
    this.memoryOffset = offset;
  }

  private need(count: number): void {
    if (this.pos + count > this.end) throw this.cutShort('The MessagePack data ends in the middle of a value.');
  }

  private read(depth: number): MsgValue {
    this.need(1);
    const buf = this.buf;
    const byte = buf[this.pos++]!;
    if (byte < 0x80) return byte;
    if (byte >= 0xe0) return byte - 0x100;
    if (byte >= 0xa0 && byte < 0xc0) return this.readString(byte & 0x1f);
    if (byte >= 0x90 && byte < 0xa0) return this.readArray(byte & 0x0f, depth);
    if (byte >= 0x80 && byte < 0x90) return this.readMap(byte & 0x0f, depth, 1);
    switch (byte) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.readBinary(this.readUint(1));
      case 0xc5:
        return this.readBinary(this.readUint(2));
      case 0xc6:
        return this.readBinary(this.readUint(4));
      case 0xc7:
        return this.readExt(this.readUint(1));
      case 0xc8:
        return this.readExt(this.readUint(2));
      case 0xc9:
        return this.readExt(this.readUint(4));
      case 0xca: {
        this.need(4);
        const value = this.data.getFloat32(this.pos);
        this.pos += 4;
        return value;
      }
      case 0xcb: {
        this.need(8);
        const value = this.data.getFloat64(this.pos);
        this.pos += 8;
        return value;
      }
      case 0xcc:
        return this.readUint(1);
      case 0xcd:
        return this.readUint(2);
      case 0xce:
        return this.readUint(4);
      case 0xcf:
        return this.readUint64();
      case 0xd0: {
        this.need(1);
        return this.data.getInt8(this.pos++);
      }
      case 0xd1: {
        this.need(2);
        const value = this.data.getInt16(this.pos);
        this.pos += 2;
        return value;
      }
      case 0xd2: {
        this.need(4);
        const value = this.data.getInt32(this.pos);
        this.pos += 4;
        return value;
      }
      case 0xd3:
        return this.readInt64();
      case 0xd4:
        return this.readExt(1);
      case 0xd5:
        return this.readExt(2);
      case 0xd6:
        return this.readExt(4);
      case 0xd7:
        return this.readExt(8);
      case 0xd8:
        return this.readExt(16);
      case 0xd9:
        return this.readString(this.readUint(1));
      case 0xda:
        return this.readString(this.readUint(2));
      case 0xdb:
        return this.readString(this.readUint(4));
      case 0xdc:
        return this.readArray(this.readUint(2), depth);
      case 0xdd:
        return this.readArray(this.readUint(4), depth);
      case 0xde:
        return this.readMap(this.readUint(2), depth, 3);
      case 0xdf:
        return this.readMap(this.readUint(4), depth, 5);
      default:
        throw invalid(`0x${byte.toString(16)} is not a MessagePack type byte.`);
    }
  }

  private readUint(size: 1 | 2 | 4): number {
    this.need(size);
    let value: number;
    if (size === 1) value = this.buf[this.pos]!;
    else if (size === 2) value = this.data.getUint16(this.pos);
    else value = this.data.getUint32(this.pos);
    this.pos += size;
    return value;
  }

  private readUint64(): number | bigint {
    this.need(8);
    const high = this.data.getUint32(this.pos);
    const low = this.data.getUint32(this.pos + 4);
    this.pos += 8;
    if (high < 0x200000) return high * TWO_32 + low;
    return (BigInt(high) << 32n) | BigInt(low);
  }

  private readInt64(): number | bigint {
    this.need(8);
    const value = this.data.getBigInt64(this.pos);
    this.pos += 8;
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private readString(size: number): string {
    this.need(size);
    const buf = this.buf;
    const start = this.pos;
    this.pos += size;
    if (size <= SHORT_STRING_BYTES) {
      return shortAscii(this.data, buf, start, size) ?? buf.toString('utf8', start, start + size);
    }
    return buf.toString('utf8', start, start + size);
  }

  private readBinary(size: number): Uint8Array {
    this.need(size);
    const out = Buffer.allocUnsafe(size);
    this.buf.copy(out, 0, this.pos, this.pos + size);
    this.pos += size;
    return out;
  }

  private readArray(size: number, depth: number): MsgValue[] {
    if (depth >= this.maxDepth) throw invalid(`A value nests deeper than ${this.maxDepth} levels.`);
    if (size > this.end - this.pos) throw this.cutShort('An array claims more items than the message holds.');
    const out = new Array<MsgValue>(size);
    for (let i = 0; i < size; i++) out[i] = this.read(depth + 1);
    return out;
  }

  /** `leave`: the key whose map value is left encoded (readLeaving), in a request's params. */
  private readMap(size: number, depth: number, headerSize: number, leave?: string): MsgMap {
    if (depth >= this.maxDepth) throw invalid(`A value nests deeper than ${this.maxDepth} levels.`);
    if (size * 2 > this.end - this.pos) throw this.cutShort('A map claims more entries than the message holds.');
    const start = this.pos - headerSize;
    const out: MsgMap = {};
    let stringKeys = true;
    for (let i = 0; i < size; i++) {
      let name: string;
      const type = this.pos < this.end ? this.buf[this.pos]! : 0;
      // Keys are nearly always short strings: read them without going through read()'s dispatch.
      if (type >= 0xa0 && type < 0xc0) {
        this.pos++;
        name = this.readString(type & 0x1f);
      } else {
        const key = this.read(depth + 1);
        if (typeof key === 'string') name = key;
        else if (typeof key === 'number' || typeof key === 'bigint') {
          name = String(key);
          stringKeys = false;
        } else throw invalid('Map keys must be strings or numbers.');
      }
      const value = leave !== undefined && name === leave ? this.readLeaving(depth + 1) : this.read(depth + 1);
      if (name === '__proto__') {
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[name] = value;
      }
    }
    // Only maps whose bytes say exactly what the decoded object says (string keys) are kept.
    if (stringKeys && this.keeping && this.keepRawAt.has(depth)) {
      this.kept.push(out);
      this.keptAt.push(start, this.pos);
    }
    return out;
  }

  private startKeeping(): void {
    // Setting an array's length costs more than checking it: most messages keep nothing.
    if (this.kept.length > 0) {
      this.kept.length = 0;
      this.keptAt.length = 0;
    }
    this.found = 0;
    keepFrom(this);
  }

  /**
   * A map's bytes when this decoder kept them in its last message (see rawBytesOf). A list,
   * not a WeakMap entry and a Buffer view for every map decoded: only the maps actually
   * asked for pay for a view, and the search starts after the last one found.
   */
  keptBytesOf(value: object): Uint8Array | undefined {
    const count = this.kept.length;
    for (let step = 0; step < count; step++) {
      const i = (this.found + step) % count;
      if (this.kept[i] !== value) continue;
      this.found = i + 1;
      const start = this.keptAt[2 * i]!;
      // A plain view: Buffer#subarray costs several times as much, and SQLite binds either.
      return new Uint8Array(this.memory, this.memoryOffset + start, this.keptAt[2 * i + 1]! - start);
    }
    return undefined;
  }

  /** A request's params (depth 1) with `field`'s map left encoded: by name, by position, or inside a map wrapped in an array. */
  private readParamsLeaving(field: EncodedField): MsgValue {
    const head = this.pos < this.end ? this.buf[this.pos]! : 0;
    if (head >= 0x80 && head < 0x90) {
      this.pos++;
      return this.readMap(head & 0x0f, 1, 1, field.name);
    }
    if (head >= 0x90 && head < 0xa0) {
      this.pos++;
      return this.readParamsArray(head & 0x0f, field);
    }
    return this.read(1);
  }

  /** Params in order, or one map wrapped in an array (see namedParams), with `field`'s map left encoded. */
  private readParamsArray(size: number, field: EncodedField): MsgValue[] {
    if (1 >= this.maxDepth) throw invalid(`A value nests deeper than ${this.maxDepth} levels.`);
    if (size > this.end - this.pos) throw this.cutShort('An array claims more items than the message holds.');
    const out = new Array<MsgValue>(size);
    for (let i = 0; i < size; i++) {
      const head = this.pos < this.end ? this.buf[this.pos]! : 0;
      if (i === 0 && size === 1 && head >= 0x80 && head < 0x90) {
        this.pos++;
        out[i] = this.readMap(head & 0x0f, 2, 1, field.name);
      } else {
        out[i] = i === field.position ? this.readLeaving(2) : this.read(2);
      }
    }
    return out;
  }

  /** The map that starts here as an EncodedMap, checked as read() would check it; anything else decoded. */
  private readLeaving(depth: number): MsgValue {
    const start = this.pos;
    if (this.skipStringKeyedMap(depth)) {
      const map = new EncodedMap(new Uint8Array(this.memory, this.memoryOffset + start, this.pos - start));
      this.leftMap = map;
      this.leftAt = start;
      this.leftEnd = this.pos;
      leaveFrom(this);
      return map;
    }
    this.pos = start;
    return this.read(depth);
  }

  /**
   * Skips a map whose keys are all strings, checking it as read() would; false, with the position anywhere in
   * it, for anything else (read() then decodes it: a key that is not a string becomes a string in the object,
   * and the object's bytes are no longer the map's).
   */
  private skipStringKeyedMap(depth: number): boolean {
    const head = this.pos < this.end ? this.buf[this.pos]! : 0;
    let size: number;
    if (head >= 0x80 && head < 0x90) {
      this.pos++;
      size = head & 0x0f;
    } else if (head === 0xde || head === 0xdf) {
      this.pos++;
      size = this.readUint(head === 0xde ? 2 : 4);
    } else {
      return false;
    }
    if (depth >= this.maxDepth) throw invalid(`A value nests deeper than ${this.maxDepth} levels.`);
    if (size * 2 > this.end - this.pos) throw this.cutShort('A map claims more entries than the message holds.');
    for (let i = 0; i < size; i++) {
      const type = this.pos < this.end ? this.buf[this.pos]! : 0;
      if (!isStringHead(type)) return false;
      this.skipShort(depth + 1);
      this.skipShort(depth + 1);
    }
    return true;
  }

  /**
   * skip, with the values a record's fields mostly are (a short string, a number, nil, a boolean) passed here:
   * skip's switch keeps it from being inlined, and a call per key and value cost a put's record ~70 instructions each.
   */
  private skipShort(depth: number): void {
    const byte = this.pos < this.end ? this.buf[this.pos]! : 0xc1;
    let size = HEAD_AND_BODY[byte]!;
    if (size === 0) {
      if (byte !== 0xd9 || this.pos + 1 >= this.end) return this.skip(depth);
      size = 2 + this.buf[this.pos + 1]!;
    }
    if (this.pos + size > this.end) return this.skip(depth);
    this.pos += size;
  }

  /** Moves past one value, with read()'s checks and errors, making nothing. */
  private skip(depth: number): void {
    this.need(1);
    const byte = this.buf[this.pos++]!;
    if (byte < 0x80 || byte >= 0xe0) return;
    if (byte >= 0xa0 && byte < 0xc0) return this.skipBytes(byte & 0x1f);
    if (byte >= 0x90 && byte < 0xa0) return this.skipArray(byte & 0x0f, depth);
    if (byte < 0x90) return this.skipMap(byte & 0x0f, depth);
    switch (byte) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        return;
      case 0xc4:
      case 0xd9:
        return this.skipBytes(this.readUint(1));
      case 0xc5:
      case 0xda:
        return this.skipBytes(this.readUint(2));
      case 0xc6:
      case 0xdb:
        return this.skipBytes(this.readUint(4));
      case 0xc7:
        return this.skipExt(this.readUint(1));
      case 0xc8:
        return this.skipExt(this.readUint(2));
      case 0xc9:
        return this.skipExt(this.readUint(4));
      case 0xcc:
      case 0xd0:
        return this.skipBytes(1);
      case 0xcd:
      case 0xd1:
        return this.skipBytes(2);
      case 0xca:
      case 0xce:
      case 0xd2:
        return this.skipBytes(4);
      case 0xcb:
      case 0xcf:
      case 0xd3:
        return this.skipBytes(8);
      case 0xd4:
        return this.skipExt(1);
      case 0xd5:
        return this.skipExt(2);
      case 0xd6:
        return this.skipExt(4);
      case 0xd7:
        return this.skipExt(8);
      case 0xd8:
        return this.skipExt(16);
      case 0xdc:
        return this.skipArray(this.readUint(2), depth);
      case 0xdd:
        return this.skipArray(this.readUint(4), depth);
      case 0xde:
        return this.skipMap(this.readUint(2), depth);
      case 0xdf:
        return this.skipMap(this.readUint(4), depth);
      default:
        throw invalid(`0x${byte.toString(16)} is not a MessagePack type byte.`);
    }
  }

  private skipBytes(size: number): void {
    this.need(size);
    this.pos += size;
  }

  private skipArray(size: number, depth: number): void {
    if (depth >= this.maxDepth) throw invalid(`A value nests deeper than ${this.maxDepth} levels.`);
    if (size > this.end - this.pos) throw this.cutShort('An array claims more items than the message holds.');
    for (let i = 0; i < size; i++) this.skip(depth + 1);
  }

  private skipMap(size: number, depth: number): void {
    if (depth >= this.maxDepth) throw invalid(`A value nests deeper than ${this.maxDepth} levels.`);
    if (size * 2 > this.end - this.pos) throw this.cutShort('A map claims more entries than the message holds.');
    for (let i = 0; i < size; i++) {
      const type = this.pos < this.end ? this.buf[this.pos]! : 0;
      if (isStringHead(type)) this.skip(depth + 1);
      else {
        const key = this.read(depth + 1);
        if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'bigint') {
          throw invalid('Map keys must be strings or numbers.');
        }
      }
      this.skip(depth + 1);
    }
  }

  /** As readExt: only timestamps (type -1) of 4, 8 or 12 bytes. */
  private skipExt(size: number): void {
    this.need(size + 1);
    const type = this.buf.readInt8(this.pos);
    this.pos += size + 1;
    if (type !== -1) throw invalid(`MessagePack extension type ${type} is not supported.`);
    if (size !== 4 && size !== 8 && size !== 12) throw invalid(`A timestamp extension of ${size} bytes is not valid.`);
  }

  private readExt(size: number): Date {
    this.need(size + 1);
    const type = this.buf.readInt8(this.pos++);
    const at = this.pos;
    this.pos += size;
    if (type !== -1) throw invalid(`MessagePack extension type ${type} is not supported.`);
    if (size === 4) return new Date(this.buf.readUInt32BE(at) * 1000);
    if (size === 8) {
      const high = this.buf.readUInt32BE(at);
      const low = this.buf.readUInt32BE(at + 4);
      const nanos = high >>> 2;
      const seconds = (high & 0x3) * TWO_32 + low;
      return new Date(seconds * 1000 + nanos / 1e6);
    }
    if (size === 12) {
      const nanos = this.buf.readUInt32BE(at);
      const seconds = Number(this.buf.readBigInt64BE(at + 4));
      return new Date(seconds * 1000 + nanos / 1e6);
    }
    throw invalid(`A timestamp extension of ${size} bytes is not valid.`);
  }
}

/** Where in `names` (ASCII) is the one that the `size` bytes at `at` spell; -1 if none does. */
function nameAt(buf: Buffer, at: number, size: number, names: readonly string[]): number {
  for (let n = 0; n < names.length; n++) {
    const name = names[n]!;
    if (name.length !== size) continue;
    let i = 0;
    while (i < size && buf[at + i] === name.charCodeAt(i)) i++;
    if (i === size) return n;
  }
  return -1;
}

/** str8, str16, str32 or a fixstr. */
function isStringHead(type: number): boolean {
  return (type >= 0xa0 && type < 0xc0) || type === 0xd9 || type === 0xda || type === 0xdb;
}

/** The decoder that last decoded a message keeping maps' bytes: rawBytesOf answers from its message. */
let keeping: Decoder | undefined;

function keepFrom(decoder: Decoder): void {
  keeping = decoder;
}

/** The decoder that last left a map encoded: encodedFieldValues reads the map through its views. */
let leaving: Decoder | undefined;

function leaveFrom(decoder: Decoder): void {
  leaving = decoder;
}

/**
 * The exact bytes a decoded map came from, when its decoder kept them: the
 * daemon stores a record it was sent as those bytes instead of encoding the
 * decoded object again. Only the maps of the last message decoded with kept
 * bytes are known (an older one gets undefined, and is encoded again), and the
 * bytes belong to the read buffer: use them while that message is handled
 * (SQLite copies them when it binds).
 */
export function rawBytesOf(value: object): Uint8Array | undefined {
  return keeping?.keptBytesOf(value);
}

const shared = new Decoder();

/** Decodes one complete value. */
export function decode(bytes: Uint8Array): MsgValue {
  return shared.decode(bytes);
}

/**
 * The values of the fields `names` (ASCII) of a map the daemon's decoder left encoded, in the order of
 * `names` (undefined for a field the map lacks), read where the map lies: the store needs a put's key and
 * indexed attributes, and writes the map's bytes. Undefined for a map its decoder has moved on from, or
 * that no decoder left (made in this process): decodeEncodedMap decodes such a map whole.
 */
export function encodedFieldValues(map: EncodedMap, names: readonly string[]): (MsgValue | undefined)[] | undefined {
  return leaving !== undefined && leaving.holds(map) ? leaving.fieldValuesOf(names) : undefined;
}

/** An EncodedMap decoded whole (see encodedFieldValues); throws if it holds something other than a map. */
export function decodeEncodedMap(map: EncodedMap): MsgMap {
  const value = new Decoder().decode(map.bytes);
  const isMap =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date);
  if (!isMap) throw invalid('An encoded map holds something other than a map.');
  return value as MsgMap;
}

/**
 * By type byte, the size of a value whose size its first byte tells (fixints, fixstrs, nil, booleans, numbers),
 * head included; 0 for the others.
 */
const HEAD_AND_BODY = ((): Uint8Array => {
  const sizes = new Uint8Array(256);
  for (let byte = 0; byte < 0x80; byte++) sizes[byte] = 1;
  for (let byte = 0xe0; byte < 0x100; byte++) sizes[byte] = 1;
  for (let byte = 0xa0; byte < 0xc0; byte++) sizes[byte] = 1 + (byte & 0x1f);
  for (const byte of [0xc0, 0xc2, 0xc3]) sizes[byte] = 1;
  for (const byte of [0xcc, 0xd0]) sizes[byte] = 2;
  for (const byte of [0xcd, 0xd1]) sizes[byte] = 3;
  for (const byte of [0xca, 0xce, 0xd2]) sizes[byte] = 5;
  for (const byte of [0xcb, 0xcf, 0xd3]) sizes[byte] = 9;
  return sizes;
})();

/** A positive fixint or a uint 8/16/32 head: the msgids decodeResponse and decodeRequest take. */
function isUintHead(head: number): boolean {
  return head < 0x80 || head === 0xcc || head === 0xcd || head === 0xce;
}
