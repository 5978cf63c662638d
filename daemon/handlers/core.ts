import type { DaemonServices, HandlerTable } from './types.js';

export function coreHandlers(daemon: DaemonServices): Pick<HandlerTable, 'ping' | 'status' | 'shutdown'> {
  return {
    ping: () => ({ pong: true }),
    status: (_params, call) => ({ ...daemon.status(), identity: call.identity.name }),
    shutdown: (_params, call) => {
      daemon.authority.requireAdmin(call.identity, 'stop the daemon');
      daemon.log.info(`${call.identity.name} asked the daemon to stop (cortex stop)`);
      daemon.stop(`stopped by cortex stop (${call.identity.name}) at ${new Date().toISOString()}`);
      return { ok: true, pid: process.pid };
    },
  };
}
