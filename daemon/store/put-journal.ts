import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import {
  frameSize,
  type JournalContents,
  type JournalGroup,
  parseFrames,
  type TurnRows,
  writeFrame,
} from './journal-frames.js';

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

/**
 * The put journal: this node's acknowledged puts that SQLite has not committed yet.
 * A turn of puts is acknowledged once its one frame is written here (to the operating
 * system, as a WAL commit with `synchronous=normal` is), and the store commits to
 * SQLite at most a commit interval later; after each commit the file is emptied.
 * After kill -9 the store writes again every journaled put newer than what SQLite
 * holds (see Store). Each frame carries its length and CRC-32 (journal-frames.ts), so
 * a frame cut short by a crash is told from a whole one.
 */
export class PutJournal {
  private closed = false;
  /** A failed write's part-frame could not be cut off the end (see cutBack). */
  private cutFrameLeft = false;
  /** This turn's rows, written as one frame by write(). */
  private turn: TurnRows[] = [];
  /** Reused turn after turn: a new buffer a turn cost a sequential put more than writing its frame. */
  private frame: Buffer = Buffer.allocUnsafe(INITIAL_FRAME);
  /** A view over `frame`, made again with it. */
  private frameView = viewOf(this.frame);
  /** Tables' names in UTF-8, as frames write them. */
  private readonly names = new Map<string, Buffer>();

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
      return { journal: new PutJournal(path, fd, bytes.length), contents: parseFrames(bytes) };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Adds a table's rows from row `from` on to this turn's frame: their values as PutBuffer binds them. */
  add(table: string, valuesPerRow: number, values: readonly unknown[], from = 0): void {
    let name = this.names.get(table);
    if (name === undefined) {
      name = Buffer.from(table);
      this.names.set(table, name);
    }
    this.turn.push({ name, valuesPerRow, values, from });
  }

  /**
   * Appends this turn's frame in one write. On failure the file is cut back to the
   * whole frames it held, the turn is forgotten, and the error says why (ENOSPC for
   * a full disk): none of the turn's puts may be acknowledged.
   */
  write(): void {
    const turn = this.turn;
    this.turn = [];
    const size = frameSize(turn);
    if (this.frame.length < size) this.keepFrame(Buffer.allocUnsafe(Math.max(size, 2 * this.frame.length)));
    const frame = this.frame;
    writeFrame(frame, turn, this.frameView);
    try {
      let written = 0;
      while (written < size) {
        const more = writeSync(this.fd, frame, written, size - written);
        if (more === 0) throw new CortexError('ENOSPC', FULL);
        written += more;
      }
    } catch (error) {
      this.cutBack();
      throw translateWriteError(error);
    }
    this.size += size;
    if (frame.length > MAX_KEPT_FRAME) this.keepFrame(Buffer.allocUnsafe(INITIAL_FRAME));
  }

  private keepFrame(frame: Buffer): void {
    this.frame = frame;
    this.frameView = viewOf(frame);
  }

  /** Forgets this turn's groups without writing them (their statements failed). */
  discardTurn(): void {
    this.turn = [];
  }

  /** Empties the file: SQLite has committed everything in it. */
  empty(): void {
    if (this.size === 0 && !this.cutFrameLeft) return;
    ftruncateSync(this.fd, 0);
    this.size = 0;
    this.cutFrameLeft = false;
  }

  /** Whether another turn may be appended: under `maxBytes`, and not after a failed write left a cut frame. */
  canTake(maxBytes: number): boolean {
    return !this.cutFrameLeft && this.size < maxBytes;
  }

  /** Every group the file holds now (after a rollback, to write its puts again); throws if it is damaged. */
  read(): JournalGroup[] {
    const { groups, damagedAt } = parseFrames(readFileSync(this.path));
    if (damagedAt !== undefined) throw new Error(`the put journal ${this.path} is damaged at byte ${damagedAt}`);
    return groups;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private cutBack(): void {
    try {
      ftruncateSync(this.fd, this.size);
    } catch {
      // Frames appended after the cut one would never be read: none is, until a commit empties the file.
      this.cutFrameLeft = true;
    }
  }
}

function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
}

function translateWriteError(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new CortexError('ENOSPC', FULL);
  }
  return error instanceof Error ? error : new Error(String(error));
}
