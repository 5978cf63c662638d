import { EventEmitter } from 'node:events';
import xterm from '@xterm/headless';
import type { ReactElement } from 'react';
import { tui } from './shipped.js';

/** A terminal's output in memory: what is written goes into a headless xterm, which keeps the screen. */
class MemoryStdout extends EventEmitter {
  /** Everything written, in order. */
  readonly written: string[] = [];

  constructor(
    private readonly terminal: xterm.Terminal,
    private readonly parsed: () => void,
  ) {
    super();
  }

  get columns(): number {
    return this.terminal.cols;
  }

  get rows(): number {
    return this.terminal.rows;
  }

  write = (data: string | Uint8Array, callback?: () => void): boolean => {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    this.written.push(text);
    this.terminal.write(text, () => {
      this.parsed();
      callback?.();
    });
    return true;
  };
}

/** A terminal's input in memory, read as Ink reads a TTY: raw mode, and a 'readable' event per write. */
class MemoryStdin extends EventEmitter {
  readonly isTTY = true;
  private pending: string | null = null;

  write(data: string): void {
    this.pending = data;
    this.emit('readable');
  }

  read = (): string | null => {
    const data = this.pending;
    this.pending = null;
    return data;
  };

  setEncoding(): void {}
  setRawMode(): void {}
  ref(): void {}
  unref(): void {}
}

export interface Rendered {
  /** The screen now, one line per row, trailing spaces removed ('' rows below what is drawn). */
  frame(): string;
  /** The screen after each write to the terminal, in order. */
  frames: string[];
  /**
   * Resolves with the first screen (the current one, or one still to come)
   * that passes `predicate`. Woken by each write the terminal has parsed, not
   * by a timer; the timeout only turns a hang into a failure that shows the screen.
   */
  waitFor(predicate: (frame: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /**
   * Types keys as a terminal delivers them: each in its own read (its own turn
   * of the event loop), so React renders between them but need not have run
   * its effects: the timing of a fast typist, or of keys queued over ssh.
   */
  press(...keys: string[]): Promise<void>;
  /** Bytes as one read of the terminal delivers them. */
  stdin: { write(data: string): void };
  rerender(tree: ReactElement): void;
  unmount(): void;
  /** The terminal changes size, as a window resized. */
  resize(columns: number, rows: number): void;
  /** Everything written to the terminal so far, escape sequences and all. */
  output(): string;
  /** How the first character of `text` is drawn where the screen first shows it (undefined if it does not). */
  styleOf(text: string): CellStyle | undefined;
}

/** A cell's look: its palette colour (0-15: 1 red, 2 green, 6 cyan...), if any, inverse and bold. */
export interface CellStyle {
  colour: number | undefined;
  inverse: boolean;
  bold: boolean;
}

/**
 * Draws `tree` with the bundle's Ink on a terminal in memory, through the
 * path `cortex tui` draws with (Ink's frames, drawn cell by cell by the
 * screen writer on the alternate screen), and reads the screen a terminal
 * would show.
 */
export function renderWatched(tree: ReactElement, size = { columns: 100, rows: 40 }): Rendered {
  const terminal = new xterm.Terminal({ cols: size.columns, rows: size.rows, allowProposedApi: true });
  const waiters = new Set<() => void>();
  const frames: string[] = [];
  const frame = () =>
    Array.from(
      { length: terminal.rows },
      (_, row) => terminal.buffer.active.getLine(row)?.translateToString(true) ?? '',
    ).join('\n');
  const stdout = new MemoryStdout(terminal, () => {
    frames.push(frame());
    for (const waiter of [...waiters]) waiter();
  });
  const stdin = new MemoryStdin();
  const drawn = tui.draw(tree, { stdin, stdout }, 'diff');
  return {
    frame,
    frames,
    stdin,
    rerender: drawn.rerender,
    unmount: () => {
      drawn.unmount();
      drawn.stop();
      terminal.dispose();
    },
    resize: (columns, rows) => {
      terminal.resize(columns, rows);
      stdout.emit('resize');
    },
    output: () => stdout.written.join(''),
    styleOf: (text) => {
      for (let row = 0; row < terminal.rows; row++) {
        const line = terminal.buffer.active.getLine(row);
        const column = line?.translateToString(true).indexOf(text) ?? -1;
        const cell = column < 0 ? undefined : line?.getCell(column);
        if (cell === undefined) continue;
        const colour = cell.isFgPalette() ? cell.getFgColor() : undefined;
        return { colour, inverse: cell.isInverse() !== 0, bold: cell.isBold() !== 0 };
      }
      return undefined;
    },
    async press(...keys) {
      for (const key of keys) {
        stdin.write(key);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    waitFor(predicate, what, timeoutMs = 15_000) {
      return new Promise<string>((resolve, reject) => {
        if (predicate(frame())) return resolve(frame());
        const waiter = () => {
          if (!predicate(frame())) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(frame());
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen was:\n${frame()}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/** The frame's lines with the trailing spaces removed. */
export function lines(frame: string): string[] {
  return frame.split('\n').map((line) => line.trimEnd());
}

/** The frame's lines down to the last one drawn: the terminal's blank rows below it left out. */
export function drawnLines(frame: string): string[] {
  const all = lines(frame);
  while (all.length > 0 && all.at(-1) === '') all.pop();
  return all;
}
