import { CortexError } from '../../src/protocol/errors.js';
import { DEFAULT_PAGE } from '../../src/protocol/methods.js';
import type { Identity } from '../identity/identity.js';
import { nodeList } from '../tree/node-list.js';
import type { DaemonServices, HandlerTable } from './types.js';

function requireAdmin(identity: Identity, action: string): void {
  if (!identity.admin) {
    throw new CortexError(
      'EACCES',
      `${identity.name} may not ${action}: only administrators (the daemon's owner and root) may.`,
    );
  }
}

type ClusterMethods = 'cluster_connect' | 'cluster_disconnect' | 'cluster_status' | 'query_mesh' | 'node_list';

export function clusterHandlers({ mesh, placementLimits }: DaemonServices): Pick<HandlerTable, ClusterMethods> {
  return {
    cluster_connect: async ({ node }, call) => {
      requireAdmin(call.identity, 'link this node with peers');
      return { ok: true, peer: await mesh.connect(node) };
    },
    cluster_disconnect: async ({ node }, call) => {
      requireAdmin(call.identity, 'unlink this node from peers');
      const disconnected = await mesh.disconnect(node);
      if (!disconnected)
        throw new CortexError('ENOTFOUND', `This node has never been linked with a node named ${node}.`);
      return { ok: true, disconnected };
    },
    cluster_status: (_params, call) => {
      requireAdmin(call.identity, 'see the cluster');
      return mesh.status();
    },
    // Node names, states and figures are for every user of the node (the tree shows them).
    node_list: () => ({ nodes: nodeList(mesh.nodes(), placementLimits, Date.now()) }),
    // Read access is checked on each answering node, against its own ACLs.
    query_mesh: ({ table, pattern, limit, timeout_ms }, call) =>
      mesh.query(table, pattern, limit ?? DEFAULT_PAGE, timeout_ms, call.identity),
  };
}
