import { render } from 'ink';
import { App } from './app.js';
import type { TuiOptions } from './index.js';
import { ConnectionProvider } from './state/connection.js';

/** Draws the app until the user quits; loaded by runTui() once React's build is chosen. */
export async function renderTui(options: TuiOptions): Promise<void> {
  const instance = render(
    <ConnectionProvider connect={options.connect}>
      <App cwd={options.cwd} />
    </ConnectionProvider>,
    // Live events are batched into at most ~30 updates a second (use-session-events), so this cap
    // only lets a key's frame out sooner: at 30, while a session streamed, a key waited for the
    // next 33 ms slot (p99 ~60 ms from key to frame in bench/tui.ts; ~40 ms at 60).
    { exitOnCtrlC: false, maxFps: 60 },
  );
  await instance.waitUntilExit();
}
