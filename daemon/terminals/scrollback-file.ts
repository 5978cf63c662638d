import {
  closeSync,
  createWriteStream,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { join } from 'node:path';
import type { TerminalInfo } from '../../src/protocol/terminal-types.js';

/** What is saved of a terminal besides its output: enough to show it and to start its command again. */
export interface TerminalMeta extends Omit<TerminalInfo, 'viewers' | 'scrollback_bytes' | 'pid'> {
  gid: number;
}

/**
 * A terminal on disk: `meta.json` and `scrollback`, the raw output appended as
 * it comes. The file is kept between one and two ring sizes long: past two it
 * is rewritten from the ring. So after a daemon restart a terminal's history is
 * still there to read.
 */
export class ScrollbackFile {
  private stream: WriteStream;
  private size: number;

  constructor(
    private readonly directory: string,
    private readonly capacity: number,
    /** The ring's contents, to compact the file from. */
    private readonly current: () => Buffer,
  ) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    this.stream = this.open();
    this.size = this.fileSize();
  }

  static metaPath(directory: string): string {
    return join(directory, 'meta.json');
  }

  /** The last `capacity` bytes saved in a terminal's directory. */
  static readTail(directory: string, capacity: number): Buffer {
    let fd: number;
    try {
      fd = openSync(join(directory, 'scrollback'), 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const size = fstatSync(fd).size;
      const take = Math.min(size, capacity);
      const out = Buffer.alloc(take);
      readSync(fd, out, 0, take, size - take);
      return out;
    } finally {
      closeSync(fd);
    }
  }

  static readMeta(directory: string): TerminalMeta | undefined {
    try {
      return JSON.parse(readFileSync(ScrollbackFile.metaPath(directory), 'utf8')) as TerminalMeta;
    } catch {
      return undefined;
    }
  }

  static writeMeta(directory: string, meta: TerminalMeta): void {
    const path = ScrollbackFile.metaPath(directory);
    writeFileSync(`${path}.tmp`, JSON.stringify(meta));
    renameSync(`${path}.tmp`, path);
  }

  append(chunk: Uint8Array): void {
    this.stream.write(chunk);
    this.size += chunk.length;
    if (this.size > this.capacity * 2) this.compact();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }

  /** Replaces the file with the ring's contents; whatever the old stream still buffers lands in the replaced file. */
  private compact(): void {
    const contents = this.current();
    this.stream.end();
    const path = join(this.directory, 'scrollback');
    writeFileSync(`${path}.tmp`, contents);
    renameSync(`${path}.tmp`, path);
    this.stream = this.open();
    this.size = contents.length;
  }

  private open(): WriteStream {
    const stream = createWriteStream(join(this.directory, 'scrollback'), { flags: 'a' });
    stream.on('error', () => undefined);
    return stream;
  }

  private fileSize(): number {
    try {
      const fd = openSync(join(this.directory, 'scrollback'), 'r');
      try {
        return fstatSync(fd).size;
      } finally {
        closeSync(fd);
      }
    } catch {
      return 0;
    }
  }
}
