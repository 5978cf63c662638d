import type { Client } from '../../src/client/client.js';
import type { NotificationName, Notifications } from '../../src/protocol/notifications.js';

/**
 * Calls `handle` with every `name` notification the client receives; returns
 * how to stop. The one place the TUI gives a notification's params their type
 * (src/protocol/notifications.ts, which the daemon sends by).
 */
export function listen<N extends NotificationName>(
  client: Client,
  name: N,
  handle: (params: Notifications[N]) => void,
): () => void {
  return client.onNotification((method, params) => {
    if (method === name) handle(params as Notifications[N]);
  });
}
