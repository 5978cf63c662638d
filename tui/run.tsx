import { render } from 'ink';
import { App } from './app.js';
import type { TuiOptions } from './index.js';
import { ConnectionProvider } from './state/connection.js';
import { createScreenHost, ScreenProvider } from './state/screen.js';

/** Draws the app until the user quits; loaded by runTui() once React's build is chosen. */
export async function renderTui(options: TuiOptions): Promise<void> {
  // Ink draws through a stdout that can be muted, so the Terminal tab can lend the whole real
  // terminal to a program (full screen) without Ink drawing over it.
  const host = createScreenHost(process.stdin, process.stdout);
  const tree = () => (
    <ScreenProvider screen={host.screen}>
      <ConnectionProvider connect={options.connect}>
        <App cwd={options.cwd} />
      </ConnectionProvider>
    </ScreenProvider>
  );
  const instance = render(
    tree(),
    // Live events are batched into at most ~30 updates a second (use-session-events), so this cap
    // only lets a key's frame out sooner: at 30, while a session streamed, a key waited for the
    // next 33 ms slot (p99 ~60 ms from key to frame in bench/tui.ts; ~40 ms at 60).
    { stdout: host.inkStdout, stdin: process.stdin, exitOnCtrlC: false, maxFps: 60 },
  );
  // Rendering a new element of the same tree makes React commit and Ink write its whole frame: the
  // app fills the terminal, and Ink draws a frame that tall from a cleared screen every time.
  host.setRedraw(() => instance.rerender(tree()));
  await instance.waitUntilExit();
}
