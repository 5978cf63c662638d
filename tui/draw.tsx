import { render } from 'ink';
import type { ReactElement } from 'react';
import { createScreenHost, type FrameMode, ScreenProvider, type TerminalIn, type TerminalOut } from './state/screen.js';

/** Ink drawing a tree on a terminal. */
export interface Drawn {
  /** Draws another element in the same place (React keeps the state of what stays). */
  rerender: (tree: ReactElement) => void;
  unmount: () => void;
  waitUntilExit: () => Promise<unknown>;
  /** Gives the terminal back as it was (after the unmount, or on a crash). */
  stop: () => void;
}

/**
 * Draws `tree` with Ink on a terminal through a frame mode, behind a screen
 * the Terminal tab can lend to a program: what `cortex tui` runs, and what the
 * tests draw with (on a terminal in memory), so both take the same path.
 */
export function draw(tree: ReactElement, io: { stdin: TerminalIn; stdout: TerminalOut }, mode: FrameMode): Drawn {
  const host = createScreenHost(io.stdin, io.stdout, mode);
  let current = tree;
  const wrapped = () => <ScreenProvider screen={host.screen}>{current}</ScreenProvider>;
  host.start();
  // Ink wants Node's streams; it uses only what TerminalIn and TerminalOut describe of them.
  const instance = render(wrapped(), {
    stdout: host.inkStdout as NodeJS.WriteStream,
    stdin: io.stdin as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
    ...host.inkOptions,
  });
  // In `ink` mode, rendering a new element of the same tree makes React commit and Ink write its
  // whole frame: that is how the frame comes back after the screen was lent.
  host.setRedraw(() => instance.rerender(wrapped()));
  return {
    rerender: (next) => {
      current = next;
      instance.rerender(wrapped());
    },
    unmount: () => instance.unmount(),
    waitUntilExit: () => instance.waitUntilExit(),
    stop: host.stop,
  };
}
