import { accessHandlers } from './access.js';
import { clusterHandlers } from './cluster.js';
import { coreHandlers } from './core.js';
import { runtimeHandlers } from './runtime.js';
import { subscriptionHandlers } from './subscriptions.js';
import { importHandlers } from './imports.js';
import { recordHandlers } from './records.js';
import { tableHandlers } from './tables.js';
import { terminalHandlers } from './terminals.js';
import { workspaceHandlers } from './workspace.js';
import type { DaemonServices, HandlerTable } from './types.js';

/** Every method's handler, one family per file, keyed by method name. */
export function createHandlers(daemon: DaemonServices): HandlerTable {
  return {
    ...coreHandlers(daemon),
    ...tableHandlers(daemon),
    ...recordHandlers(daemon),
    ...importHandlers(daemon),
    ...accessHandlers(daemon),
    ...subscriptionHandlers(daemon),
    ...runtimeHandlers(daemon),
    ...workspaceHandlers(daemon),
    ...terminalHandlers(daemon),
    ...clusterHandlers(daemon),
  };
}
