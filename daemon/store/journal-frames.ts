import { crc32 } from 'node:zlib';

/**
 * The put journal's file format. A frame is one turn of puts: its payload's length
 * and CRC-32 (little-endian u32s), then for each table its name's length (u16) and
 * name (UTF-8), its row count (u32), and each row's record bytes (u32 length, then
 * the bytes as stored), clock and change-log seq (f64 each). The key and indexed
 * attributes are not written: the record holds them, and the start that replays a
 * row reads them from it (a turn's journal write is on every put's path; a replay
 * is rare). Hand-written, because MessagePack-encoding a row's values cost ~2,500
 * instructions, more than the commit it replaces.
 */
export const HEAD_BYTES = 8;

/** A journaled put: its record's bytes as stored, its clock and change-log seq. */
export interface JournaledPut {
  bytes: Buffer;
  hlc: number;
  seq: number;
}

export interface JournalGroup {
  table: string;
  puts: JournaledPut[];
}

/** What a journal held when it was read. */
export interface JournalContents {
  groups: JournalGroup[];
  /** Bytes of a last frame cut short: a write the daemon died in, never acknowledged. */
  ignoredBytes: number;
  /**
   * Where a whole frame fails its checksum or does not parse, if one does: damage no crash of the
   * daemon leaves (its writes are cut short, never changed), so the frames from there on are not read.
   */
  damagedAt?: number;
}

/**
 * A turn's rows as PutBuffer keeps them, per table: the table's name, its values per row,
 * and its rows' values end to end (key, bytes, hlc, seq, then the indexed attributes), of
 * which the turn's are those from row `from` on (the earlier ones are in earlier frames).
 */
export interface TurnRows {
  /** The table's name in UTF-8, kept by the caller (PutJournal): encoding it every turn cost ~600 instructions. */
  name: Buffer;
  valuesPerRow: number;
  values: readonly unknown[];
  /** 0 when absent. */
  from?: number;
}

const ROW_FIXED_BYTES = 4 + 8 + 8;

/** How many bytes the frame of `turn` takes. */
export function frameSize(turn: readonly TurnRows[]): number {
  let size = HEAD_BYTES;
  for (const { name, valuesPerRow, values, from = 0 } of turn) {
    size += 2 + name.length + 4;
    for (let at = from * valuesPerRow; at < values.length; at += valuesPerRow) {
      size += ROW_FIXED_BYTES + (values[at + 1] as Uint8Array).length;
    }
  }
  return size;
}

/**
 * Writes the frame of `turn` at the start of `into`, which holds at least frameSize(turn) bytes; returns its size.
 * Numbers go through a DataView, whose setters the compiler inlines: Buffer's write methods check their
 * arguments on every call, and cost a 16-client put ~1,000 instructions of its ~1,700 here. `view` is one over
 * all of `into`, when the caller keeps one with the buffer.
 */
export function writeFrame(
  into: Buffer,
  turn: readonly TurnRows[],
  view = new DataView(into.buffer, into.byteOffset, into.length),
): number {
  let at = HEAD_BYTES;
  for (const { name, valuesPerRow, values, from = 0 } of turn) {
    into.set(name, at + 2);
    view.setUint16(at, name.length, true);
    at += 2 + name.length;
    view.setUint32(at, values.length / valuesPerRow - from, true);
    at += 4;
    for (let row = from * valuesPerRow; row < values.length; row += valuesPerRow) {
      const bytes = values[row + 1] as Uint8Array;
      view.setUint32(at, bytes.length, true);
      into.set(bytes, at + 4);
      at += 4 + bytes.length;
      view.setFloat64(at, values[row + 2] as number, true);
      view.setFloat64(at + 8, values[row + 3] as number, true);
      at += 16;
    }
  }
  view.setUint32(0, at - HEAD_BYTES, true);
  view.setUint32(4, crc32(into.subarray(HEAD_BYTES, at)), true);
  return at;
}

/** The whole frames of `bytes`, in order, up to a last frame cut short or a damaged one (see JournalContents). */
export function parseFrames(bytes: Buffer): JournalContents {
  const groups: JournalGroup[] = [];
  let at = 0;
  while (bytes.length - at >= HEAD_BYTES) {
    const length = bytes.readUInt32LE(at);
    const start = at + HEAD_BYTES;
    if (length > bytes.length - start) break;
    const payload = bytes.subarray(start, start + length);
    const frame = crc32(payload) === bytes.readUInt32LE(at + 4) ? groupsOf(payload) : undefined;
    if (frame === undefined) return { groups, ignoredBytes: 0, damagedAt: at };
    groups.push(...frame);
    at = start + length;
  }
  return { groups, ignoredBytes: bytes.length - at };
}

/** A payload's groups; undefined if it does not hold exactly whole groups of whole rows. */
function groupsOf(payload: Buffer): JournalGroup[] | undefined {
  const groups: JournalGroup[] = [];
  let at = 0;
  while (at < payload.length) {
    if (payload.length - at < 6) return undefined;
    const nameLength = payload.readUInt16LE(at);
    if (payload.length - at < 6 + nameLength) return undefined;
    const table = payload.toString('utf8', at + 2, at + 2 + nameLength);
    let rows = payload.readUInt32LE(at + 2 + nameLength);
    at += 6 + nameLength;
    const puts: JournaledPut[] = [];
    for (; rows > 0; rows--) {
      if (payload.length - at < ROW_FIXED_BYTES) return undefined;
      const size = payload.readUInt32LE(at);
      if (payload.length - at < ROW_FIXED_BYTES + size) return undefined;
      const bytes = Buffer.from(payload.subarray(at + 4, at + 4 + size));
      at += 4 + size;
      puts.push({ bytes, hlc: payload.readDoubleLE(at), seq: payload.readDoubleLE(at + 8) });
      at += 16;
    }
    groups.push({ table, puts });
  }
  return groups;
}
