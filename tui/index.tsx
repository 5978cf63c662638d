import { render } from 'ink';
import type { Client } from '../src/client/client.js';
import { App } from './app.js';
import { ConnectionProvider } from './state/connection.js';

export interface TuiOptions {
  /** Opens a connection to the daemon; called again to reconnect. */
  connect: () => Promise<Client>;
  cwd: string;
}

/** Runs `cortex tui` until the user quits; sessions and terminals keep running in the daemon. */
export async function runTui(options: TuiOptions): Promise<void> {
  const instance = render(
    <ConnectionProvider connect={options.connect}>
      <App cwd={options.cwd} />
    </ConnectionProvider>,
    { exitOnCtrlC: false, maxFps: 30 },
  );
  await instance.waitUntilExit();
}
