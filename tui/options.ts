import type { Client } from '../src/client/client.js';
import type { TreeAhead } from './state/tree-ahead.js';

/** The connection `cortex tui` opened while the TUI's code loaded, and the tree's first lists asked for on it. */
export interface Opened {
  client: Client;
  tree: TreeAhead;
}

/** What `cortex tui` is started with. */
export interface TuiOptions {
  /** Opens a connection to the daemon; called again to reconnect (which never starts a daemon). */
  connect: (attempt: { reconnect: boolean }) => Promise<Client>;
  /** The connection begun ahead, once it is open (the first `connect` gives the same one). */
  opened?: () => Opened | undefined;
  cwd: string;
  /** Called once the first frame is on the screen (the bundle's code cache is made then). */
  onFirstFrame?: () => void;
}
