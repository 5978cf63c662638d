import type { Terminal } from '@xterm/headless';
// @xterm/headless is CommonJS without named exports Node can detect: its class comes from the default export.
import xterm from '@xterm/headless';

/** Lines kept above the screen, so that a pane made taller shows what had scrolled off. */
const SCROLLBACK_LINES = 500;

/** A headless xterm of `cols` × `rows`: it parses a program's output into a screen of cells, and draws nothing. */
export function createEmulator(cols: number, rows: number): Terminal {
  return new xterm.Terminal({ cols, rows, scrollback: SCROLLBACK_LINES, allowProposedApi: true });
}
