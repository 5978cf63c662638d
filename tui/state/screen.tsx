import { createContext, type ReactNode, useContext } from 'react';

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

/** What run.tsx needs to put Ink behind a screen that can be taken. */
export interface ScreenHost {
  screen: Screen;
  /** The stdout to give Ink: the real one, except that its writes are dropped while the screen is taken. */
  inkStdout: NodeJS.WriteStream;
  /** How to make Ink draw its frame again once the screen is back (set once Ink runs). */
  setRedraw: (redraw: () => void) => void;
}

/**
 * Wraps the real stdin and stdout so the screen can be lent out. Ink keeps
 * drawing while it is lent (React state still changes), so its writes are
 * dropped rather than queued: only its next frame matters, and release() asks
 * for one. Ink reads keys through a 'readable' listener on stdin; while the
 * screen is lent that listener is set aside, so no key reaches Ink's handlers.
 */
export function createScreenHost(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): ScreenHost {
  let lent = false;
  let redraw = () => undefined as void;
  const inkStdout = new Proxy(stdout, {
    get(target, property) {
      if (property === 'write') return lent ? dropWrite : target.write.bind(target);
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

  const takeOver = (): RawScreen | undefined => {
    if (lent) return undefined;
    lent = true;
    const inkReaders = stdin.listeners('readable') as (() => void)[];
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
        redraw();
      },
    };
  };

  return {
    screen: { takeOver },
    inkStdout,
    setRedraw: (next) => {
      redraw = next;
    },
  };
}

/** Ink's write, while the screen is lent: nothing is written, and the callback still runs. */
function dropWrite(_chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') (done as () => void)();
  return true;
}

const ScreenContext = createContext<Screen | undefined>(undefined);

export function ScreenProvider({ screen, children }: { screen: Screen; children: ReactNode }) {
  return <ScreenContext.Provider value={screen}>{children}</ScreenContext.Provider>;
}

/**
 * The real terminal, when there is one to lend. Unlike the other contexts this
 * one is optional: rendered in memory (ink-testing-library) there is no real
 * terminal, and full screen says so instead of failing.
 */
export function useScreen(): Screen | undefined {
  return useContext(ScreenContext);
}
