import { CortexError } from '../../src/protocol/errors.js';
import { DEFAULT_PAGE } from '../../src/protocol/methods.js';
import type { DaemonServices, HandlerTable } from './types.js';

export function clusterHandlers({
  mesh,
  authority,
}: DaemonServices): Pick<HandlerTable, 'cluster_connect' | 'cluster_disconnect' | 'cluster_status' | 'query_mesh'> {
  return {
    cluster_connect: async ({ node }, call) => {
      authority.requireAdmin(call.identity, 'link this node with peers');
      return { ok: true, peer: await mesh.connect(node) };
    },
    cluster_disconnect: async ({ node }, call) => {
      authority.requireAdmin(call.identity, 'unlink this node from peers');
      const disconnected = await mesh.disconnect(node);
      if (!disconnected)
        throw new CortexError('ENOTFOUND', `This node has never been linked with a node named ${node}.`);
      return { ok: true, disconnected };
    },
    cluster_status: (_params, call) => {
      authority.requireAdmin(call.identity, 'see the cluster');
      return mesh.status();
    },
    // Read access is checked on each answering node, against its own ACLs.
    query_mesh: ({ table, pattern, limit, timeout_ms }, call) =>
      mesh.query(table, pattern, limit ?? DEFAULT_PAGE, timeout_ms, call.identity),
  };
}
