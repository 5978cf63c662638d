import { connectUnix } from '../../../src/client/client.js';
import { type Rendered, renderWatched } from './frames.js';
import { tui } from './shipped.js';

const { App, ConnectionProvider } = tui;

/**
 * The whole App, from the bundle, on a terminal in memory (100×24 unless
 * said), attached to a daemon's socket. The connect function lives as long as
 * the provider, which calls it again to reconnect after a restart.
 */
export function renderApp(
  socket: string,
  cwd: string,
  options: { columns?: number; rows?: number; colour?: boolean } = {},
): Rendered {
  const connect = () => connectUnix(socket);
  return renderWatched(
    <ConnectionProvider connect={connect}>
      <App cwd={cwd} colour={options.colour ?? true} />
    </ConnectionProvider>,
    { columns: options.columns ?? 100, rows: options.rows ?? 24 },
  );
}
