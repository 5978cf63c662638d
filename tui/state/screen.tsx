import { createContext, type ReactNode, useContext } from 'react';
import { traceStep } from '../../src/startup-trace.js';
import { ScreenWriter } from '../frames/screen-writer.js';

/**
 * What the TUI needs of a terminal's output: the real stdout, or a test's
 * terminal in memory. Ink is handed it as a stdout; it uses no more of it.
 */
export interface TerminalOut {
  write: (data: string | Uint8Array, callback?: () => void) => boolean;
  readonly columns: number;
  readonly rows: number;
  on: (event: 'resize', listener: () => void) => unknown;
  off: (event: 'resize', listener: () => void) => unknown;
}

/** What the TUI and Ink need of a terminal's input: raw mode, and keys read on 'readable'. */
export interface TerminalIn {
  readonly isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
  setEncoding: (encoding: BufferEncoding) => unknown;
  read: () => unknown;
  on: (event: 'readable', listener: () => void) => unknown;
  off: (event: 'readable', listener: () => void) => unknown;
  addListener: (event: 'readable', listener: () => void) => unknown;
  removeListener: (event: 'readable', listener: () => void) => unknown;
  listeners: (event: 'readable') => unknown[];
  ref: () => unknown;
  unref: () => unknown;
}

/** The real terminal, taken from Ink for a while: raw keys in, bytes out, nothing drawn by Ink. */
export interface RawScreen {
  columns: number;
  rows: number;
  write: (data: string | Uint8Array) => void;
  /** Keys as they arrive, in chunks (a paste, an escape sequence); returns the way to stop listening. */
  onInput: (listener: (data: string) => void) => () => void;
  onResize: (listener: () => void) => () => void;
  /** Gives the terminal back to Ink, which draws its whole frame again. */
  release: () => void;
}

/** Lends the real terminal to one borrower at a time (the Terminal tab's full screen). */
export interface Screen {
  /** Undefined while someone else has it. */
  takeOver: () => RawScreen | undefined;
}

/**
 * How frames reach the terminal. `diff` (the default): Ink renders each frame
 * to a string (its debug mode) and a ScreenWriter draws it on the alternate
 * screen, writing only the cells that changed. `ink`: Ink writes itself, as
 * before: once the app fills the terminal, every frame is a cleared screen
 * redrawn whole (kept for comparison, and for a terminal the writer confuses).
 */
export type FrameMode = 'diff' | 'ink';

/** What run.tsx needs to put Ink behind a screen that can be taken. */
export interface ScreenHost {
  screen: Screen;
  /** The stdout to give Ink: Ink's writes go through the frame mode, and are held back while the screen is lent. */
  inkStdout: TerminalOut;
  /** Ink's own options for the mode. */
  inkOptions: { debug: boolean; maxFps?: number };
  /** How to make Ink draw its frame again once the screen is back, in `ink` mode (set once Ink runs). */
  setRedraw: (redraw: () => void) => void;
  /** Takes the terminal for drawing (the alternate screen in `diff` mode). */
  start: () => void;
  /** Gives it back as it was. */
  stop: () => void;
}

/** Where Ink's writes go in a frame mode, and what lending the screen and getting it back do. */
interface InkOutput {
  write: (chunk: string) => void;
  lend: () => void;
  restore: () => void;
  start: () => void;
  stop: () => void;
}

function diffOutput(stdout: TerminalOut): InkOutput {
  const writer = new ScreenWriter({
    write: (data) => stdout.write(data),
    get columns() {
      return stdout.columns || 80;
    },
    get rows() {
      return stdout.rows || 24;
    },
  });
  const resized = () => writer.resized();
  return {
    // Ink's debug mode writes each frame whole; an empty write is its way of clearing what it never drew.
    write: (chunk) => {
      if (chunk !== '') writer.frame(chunk);
    },
    lend: () => writer.pause(),
    restore: () => writer.open(),
    start: () => {
      stdout.on('resize', resized);
      writer.open();
    },
    stop: () => {
      stdout.off('resize', resized);
      writer.close();
    },
  };
}

function inkOutput(stdout: TerminalOut, redraw: () => void): InkOutput {
  let lent = false;
  return {
    write: (chunk) => {
      if (!lent) stdout.write(chunk);
    },
    lend: () => {
      lent = true;
    },
    restore: () => {
      lent = false;
      redraw();
    },
    start: () => undefined,
    stop: () => undefined,
  };
}

/**
 * Wraps the real stdin and stdout so the screen can be lent. Ink keeps
 * rendering while it is lent (React state still changes), so its frames are
 * held rather than written: only the newest matters, and it is drawn when the
 * screen comes back. Ink reads keys through a 'readable' listener on stdin;
 * while the screen is lent that listener is set aside, so no key reaches
 * Ink's handlers.
 */
export function createScreenHost(stdin: TerminalIn, stdout: TerminalOut, mode: FrameMode): ScreenHost {
  let lent = false;
  let redraw = () => undefined as void;
  const output = mode === 'diff' ? diffOutput(stdout) : inkOutput(stdout, () => redraw());
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const text = chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
    output.write(text);
    if (text !== '') traceStep('frame');
    const done = typeof encoding === 'function' ? encoding : callback;
    // Ink waits for a write's callback before it says it has exited: called once the real stdout has flushed.
    if (typeof done === 'function') stdout.write('', () => (done as () => void)());
    return true;
  };
  const inkStdout = new Proxy(stdout, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

  const takeOver = (): RawScreen | undefined => {
    if (lent) return undefined;
    lent = true;
    output.lend();
    const inkReaders = stdin.listeners('readable').filter((reader) => typeof reader === 'function') as (() => void)[];
    for (const reader of inkReaders) stdin.off('readable', reader);
    const inputs = new Set<(data: string) => void>();
    const read = () => {
      let chunk: string | Buffer | null;
      while ((chunk = stdin.read() as string | Buffer | null) !== null) {
        // Ink has set the encoding to UTF-8, so chunks are text; a Buffer would be from before that.
        const data = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
        for (const listener of [...inputs]) listener(data);
      }
    };
    stdin.on('readable', read);
    return {
      get columns() {
        return stdout.columns || 80;
      },
      get rows() {
        return stdout.rows || 24;
      },
      write: (data) => stdout.write(data),
      onInput: (listener) => {
        inputs.add(listener);
        return () => inputs.delete(listener);
      },
      onResize: (listener) => {
        stdout.on('resize', listener);
        return () => stdout.off('resize', listener);
      },
      release: () => {
        if (!lent) return;
        stdin.off('readable', read);
        for (const reader of inkReaders) stdin.on('readable', reader);
        lent = false;
        output.restore();
      },
    };
  };

  return {
    screen: { takeOver },
    inkStdout,
    inkOptions: mode === 'diff' ? { debug: true } : { debug: false, maxFps: 60 },
    setRedraw: (next) => {
      redraw = next;
    },
    start: output.start,
    stop: output.stop,
  };
}

const ScreenContext = createContext<Screen | undefined>(undefined);

export function ScreenProvider({ screen, children }: { screen: Screen; children: ReactNode }) {
  return <ScreenContext.Provider value={screen}>{children}</ScreenContext.Provider>;
}

/** The terminal the app is drawn on (by draw(), a real one or a test's), to lend to a program. */
export function useScreen(): Screen {
  const screen = useContext(ScreenContext);
  if (screen === undefined) throw new Error('useScreen must be used inside a ScreenProvider (draw() gives one)');
  return screen;
}
