import type { PeerResources } from '../../src/protocol/mesh-types.js';
import type { NodeSummary } from '../../src/protocol/tree-types.js';
import type { Runtime } from '../runtime/index.js';
import type { TerminalManager } from '../terminals/terminal-manager.js';

/** What this node tells the mesh about itself: its machine's figures and how many objects it holds. */
export function nodeSummary(resources: PeerResources, runtime: Runtime, terminals: TerminalManager): NodeSummary {
  const sessions = runtime.sessions.counts();
  const { projects, workspaces } = runtime.workspaces.counts();
  return {
    ...resources,
    sessions_running: sessions.running,
    objects: { projects, workspaces, sessions: sessions.sessions, terminals: terminals.size },
  };
}
