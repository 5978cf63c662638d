import type { DaemonServices, HandlerTable } from './types.js';

export function coreHandlers(daemon: DaemonServices): Pick<HandlerTable, 'ping' | 'status'> {
  return {
    ping: () => ({ pong: true }),
    status: (_params, call) => ({ ...daemon.status(), identity: call.identity.name }),
  };
}
