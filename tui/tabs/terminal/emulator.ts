import { createRequire } from 'node:module';
import type * as Xterm from '@xterm/headless';
import type { Terminal } from '@xterm/headless';

/**
 * @xterm/headless, loaded when the first terminal is shown rather than with
 * the TUI: a CommonJS module, required from where this file is (the bundle
 * leaves a require made this way to node), so it is not part of the bundle.
 * Evaluating its 180 KB in the bundle cost every start ~6 ms of CPU, and
 * reading and deserialising it with the bundle's code cache more.
 */
let xterm: typeof Xterm | undefined;
const loadXterm = (): typeof Xterm => (xterm ??= createRequire(import.meta.url)('@xterm/headless') as typeof Xterm);

/** Lines kept above the screen, so that a pane made taller shows what had scrolled off. */
const SCROLLBACK_LINES = 500;

/** DECTCEM, the private mode a program hides its cursor with (`ESC [ ? 25 l`) and shows it again with (`h`). */
const CURSOR_MODE = 25;

/** A headless xterm that parses a program's output into a screen of cells, and whether the program hides its cursor. */
export interface Emulator {
  terminal: Terminal;
  cursorHidden: () => boolean;
  dispose: () => void;
}

/**
 * A headless xterm of `cols` × `rows`. It draws nothing; the pane draws its
 * cells. Its API does not tell whether the cursor is hidden (full-screen
 * programs hide it and draw their own), so the mode is watched on the parser
 * as it goes by, and xterm still handles it as usual.
 */
export function createEmulator(cols: number, rows: number): Emulator {
  const terminal = new (loadXterm().Terminal)({ cols, rows, scrollback: SCROLLBACK_LINES, allowProposedApi: true });
  let hidden = false;
  const watch = (final: 'h' | 'l') =>
    terminal.parser.registerCsiHandler({ prefix: '?', final }, (params) => {
      if (params.includes(CURSOR_MODE)) hidden = final === 'l';
      return false;
    });
  const watchers = [watch('h'), watch('l')];
  // A full reset (RIS, `ESC c`) shows the cursor again.
  const reset = terminal.parser.registerEscHandler({ final: 'c' }, () => {
    hidden = false;
    return false;
  });
  return {
    terminal,
    cursorHidden: () => hidden,
    dispose: () => {
      for (const watcher of [...watchers, reset]) watcher.dispose();
      terminal.dispose();
    },
  };
}
