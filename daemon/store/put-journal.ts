import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CortexError } from '../../src/protocol/errors.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { Encoder } from '../../src/protocol/msgpack-encode.js';

/** A frame's head: its payload's length and the payload's CRC-32, both little-endian. */
const HEAD_BYTES = 8;
const INITIAL_FRAME = 8192;
/** A frame buffer grown past this by a large turn is let go after it, rather than kept for good. */
const MAX_KEPT_FRAME = 1024 * 1024;
const FULL = 'The disk is full: the write was not saved and nothing was changed.';

/** The file's name beside `cortex.db` (never `cortex.db-journal`: SQLite would take that for its own). */
export const JOURNAL_FILE = 'cortex.puts';

/** The put journal a daemon's store acknowledges puts through, and what an earlier daemon left in it. */
export interface StoreJournal {
  file: PutJournal;
  contents: JournalContents;
  /** The longest a journaled put waits for its SQLite commit; 0: every turn commits, and the file is only read. */
  intervalMs: number;
}

/**
 * The data directory's put journal. With no journal wanted (`intervalMs` 0), only one an
 * earlier daemon left is opened, so that the start writes its puts again.
 */
export function journalIn(dataDir: string, intervalMs: number): StoreJournal | undefined {
  const path = join(dataDir, JOURNAL_FILE);
  if (intervalMs === 0 && !existsSync(path)) return undefined;
  const { journal, contents } = PutJournal.open(path);
  return { file: journal, contents, intervalMs };
}

/** One table's rows of a journaled turn, as PutBuffer binds them: `valuesPerRow` values a row, laid end to end. */
export interface JournalGroup {
  table: string;
  valuesPerRow: number;
  values: unknown[];
}

/** What the file held when it was read. */
export interface JournalContents {
  groups: JournalGroup[];
  /** Bytes after the last whole frame: a write the daemon died in, or damage. They were never acknowledged. */
  ignoredBytes: number;
}

/**
 * The put journal: this node's acknowledged puts that SQLite has not committed yet.
 * A turn of puts is acknowledged once its one frame is written here (to the operating
 * system, as a WAL commit with `synchronous=normal` is), and the store commits to
 * SQLite at most a commit interval later; after each commit the file is emptied.
 * After kill -9 the store writes again every journaled put newer than what SQLite
 * holds (see Store). Each frame carries its length and CRC-32, so a frame cut short
 * by a crash is told from a whole one.
 */
export class PutJournal {
  /** This turn's groups, written as one frame by write(): table, values a row, values, table, ... */
  private turn: unknown[] = [];
  /** Reused turn after turn: a new encoder's and frame's buffers cost a sequential put more than its encoding. */
  private readonly encoder = new Encoder();
  private frame = Buffer.allocUnsafe(INITIAL_FRAME);

  private constructor(
    readonly path: string,
    private readonly fd: number,
    /** Bytes in the file (after a crash, possibly ending in a cut frame, until the store empties it). */
    private size: number,
  ) {}

  /** Opens (creating) the journal, with what an earlier daemon left in it. */
  static open(path: string): { journal: PutJournal; contents: JournalContents } {
    const fd = openSync(path, 'a+', 0o600);
    try {
      const bytes = readFileSync(path);
      return { journal: new PutJournal(path, fd, bytes.length), contents: parseJournal(bytes) };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Bytes the journal holds: past a limit, the store commits rather than journal more. */
  get bytes(): number {
    return this.size;
  }

  /** Adds a table's rows to this turn's frame. */
  add(table: string, valuesPerRow: number, values: unknown[]): void {
    this.turn.push(table, valuesPerRow, values);
  }

  /**
   * Appends this turn's frame in one write. On failure the file is cut back to the
   * whole frames it held, the turn is forgotten, and the error says why (ENOSPC for
   * a full disk): none of the turn's puts may be acknowledged.
   */
  write(): void {
    const encoder = this.encoder;
    encoder.encode(this.turn);
    this.turn = [];
    const payload = encoder.written();
    const total = HEAD_BYTES + payload.length;
    if (this.frame.length < total) this.frame = Buffer.allocUnsafe(Math.max(total, 2 * this.frame.length));
    const frame = this.frame;
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    frame.set(payload, HEAD_BYTES);
    encoder.restart(false);
    try {
      let written = 0;
      while (written < total) {
        const more = writeSync(this.fd, frame, written, total - written);
        if (more === 0) throw new CortexError('ENOSPC', FULL);
        written += more;
      }
    } catch (error) {
      this.cutBack();
      throw translateWriteError(error);
    }
    this.size += total;
    if (frame.length > MAX_KEPT_FRAME) this.frame = Buffer.allocUnsafe(INITIAL_FRAME);
  }

  /** Forgets this turn's groups without writing them (their statements failed). */
  discardTurn(): void {
    this.turn = [];
  }

  /** Empties the file: SQLite has committed everything in it. */
  empty(): void {
    if (this.size === 0) return;
    ftruncateSync(this.fd, 0);
    this.size = 0;
  }

  /** Every group the file holds now (after a rollback, to write its puts again). */
  read(): JournalGroup[] {
    return parseJournal(readFileSync(this.path)).groups;
  }

  close(): void {
    closeSync(this.fd);
  }

  private cutBack(): void {
    try {
      ftruncateSync(this.fd, this.size);
    } catch {
      // The frame's length and checksum still tell a cut frame from a whole one when it is read.
    }
  }
}

function translateWriteError(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new CortexError('ENOSPC', FULL);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** The whole frames of `bytes`, in order, up to the first one that is cut short, fails its checksum or is malformed. */
export function parseJournal(bytes: Buffer): JournalContents {
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

function groupsOf(payload: Buffer): JournalGroup[] | undefined {
  let parts: unknown;
  try {
    parts = decode(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts) || parts.length % 3 !== 0) return undefined;
  const items: unknown[] = parts;
  const groups: JournalGroup[] = [];
  for (let i = 0; i < items.length; i += 3) {
    const [table, valuesPerRow, values] = [items[i], items[i + 1], items[i + 2]];
    if (typeof table !== 'string' || typeof valuesPerRow !== 'number' || !Array.isArray(values)) return undefined;
    if (!Number.isInteger(valuesPerRow) || valuesPerRow < 4 || values.length % valuesPerRow !== 0) return undefined;
    groups.push({ table, valuesPerRow, values });
  }
  return groups;
}
