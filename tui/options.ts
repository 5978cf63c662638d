import type { Client } from '../src/client/client.js';

/** What `cortex tui` is started with. */
export interface TuiOptions {
  /** Opens a connection to the daemon; called again to reconnect (which never starts a daemon). */
  connect: (attempt: { reconnect: boolean }) => Promise<Client>;
  cwd: string;
  /** Called once the first frame is on the screen (the bundle's code cache is made then). */
  onFirstFrame?: () => void;
}
