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
  /** Bytes after the last whole frame: a write the daemon died in, or damage. They were never acknowledged. */
  ignoredBytes: number;
}

/**
 * A turn's rows as PutBuffer keeps them, per table: the table's name, its values per row,
 * and its rows' values end to end (key, bytes, hlc, seq, then the indexed attributes).
 */
export interface TurnRows {
  table: string;
  valuesPerRow: number;
  values: readonly unknown[];
}

const ROW_FIXED_BYTES = 4 + 8 + 8;

/** How many bytes the frame of `turn` takes. */
export function frameSize(turn: readonly TurnRows[]): number {
  let size = HEAD_BYTES;
  for (const { table, valuesPerRow, values } of turn) {
    size += 2 + Buffer.byteLength(table) + 4;
    for (let at = 0; at < values.length; at += valuesPerRow) {
      size += ROW_FIXED_BYTES + (values[at + 1] as Uint8Array).length;
    }
  }
  return size;
}

/** Writes the frame of `turn` at the start of `into`, which holds at least frameSize(turn) bytes; returns its size. */
export function writeFrame(into: Buffer, turn: readonly TurnRows[]): number {
  let at = HEAD_BYTES;
  for (const { table, valuesPerRow, values } of turn) {
    const nameLength = into.write(table, at + 2);
    into.writeUInt16LE(nameLength, at);
    at += 2 + nameLength;
    into.writeUInt32LE(values.length / valuesPerRow, at);
    at += 4;
    for (let row = 0; row < values.length; row += valuesPerRow) {
      const bytes = values[row + 1] as Uint8Array;
      into.writeUInt32LE(bytes.length, at);
      into.set(bytes, at + 4);
      at += 4 + bytes.length;
      into.writeDoubleLE(values[row + 2] as number, at);
      into.writeDoubleLE(values[row + 3] as number, at + 8);
      at += 16;
    }
  }
  into.writeUInt32LE(at - HEAD_BYTES, 0);
  into.writeUInt32LE(crc32(into.subarray(HEAD_BYTES, at)), 4);
  return at;
}

/** The whole frames of `bytes`, in order, up to the first one that is cut short, fails its checksum or is malformed. */
export function parseFrames(bytes: Buffer): JournalContents {
  const groups: JournalGroup[] = [];
  let at = 0;
  while (bytes.length - at >= HEAD_BYTES) {
    const length = bytes.readUInt32LE(at);
    const start = at + HEAD_BYTES;
    if (length > bytes.length - start) break;
    const payload = bytes.subarray(start, start + length);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) break;
    const frame = groupsOf(payload);
    if (frame === undefined) break;
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
