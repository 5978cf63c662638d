import { connectUnix } from '../../../src/client/client.js';
import { App } from '../../../tui/app.js';
import { ConnectionProvider } from '../../../tui/state/connection.js';
import { type Rendered, renderWatched } from './frames.js';

/**
 * The whole App in memory, attached to a daemon's socket. The connect function
 * lives as long as the provider, which calls it again to reconnect after a restart.
 */
export function renderApp(socket: string, cwd: string): Rendered {
  const connect = () => connectUnix(socket);
  return renderWatched(
    <ConnectionProvider connect={connect}>
      <App cwd={cwd} />
    </ConnectionProvider>,
  );
}
