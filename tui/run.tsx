import { App } from './app.js';
import { draw } from './draw.js';
import type { TuiOptions } from './options.js';
import { ConnectionProvider } from './state/connection.js';
import type { FrameMode } from './state/screen.js';

export * from './exports.js';

/** Draws the app until the user quits; loaded by runTui() once React's build is chosen. */
export async function renderTui(options: TuiOptions): Promise<void> {
  const mode: FrameMode = process.env['CORTEX_TUI_FRAMES'] === 'ink' ? 'ink' : 'diff';
  // NO_COLOR, TERM=dumb and the like: the selection is drawn with a mark instead of a highlight.
  const colour = typeof process.stdout.hasColors === 'function' && process.stdout.hasColors();
  const drawn = draw(
    <ConnectionProvider connect={options.connect} opened={options.opened?.()}>
      <App cwd={options.cwd} colour={colour} />
    </ConnectionProvider>,
    { stdin: process.stdin, stdout: process.stdout },
    mode,
  );
  options.onFirstFrame?.();
  // A crash must not leave the user on the TUI's screen with the cursor hidden.
  process.once('exit', drawn.stop);
  try {
    await drawn.waitUntilExit();
  } finally {
    drawn.stop();
    process.off('exit', drawn.stop);
  }
}
