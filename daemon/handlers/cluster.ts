import { CortexError } from '../../src/protocol/errors.js';
import { DEFAULT_PAGE } from '../../src/protocol/methods.js';
import type { DaemonServices, HandlerTable } from './types.js';

export function clusterHandlers({
  mesh,
  authority,
}: DaemonServices): Pick<
  HandlerTable,
  | 'cluster_connect'
  | 'cluster_disconnect'
  | 'cluster_status'
  | 'cluster_forget'
  | 'cluster_revocations'
  | 'mesh_invite'
  | 'mesh_join'
  | 'query_mesh'
> {
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
    cluster_forget: async ({ node }, call) => {
      authority.requireAdmin(call.identity, 'forget peers');
      if (!(await mesh.forget(node))) {
        throw new CortexError('ENOTFOUND', `This node knows no node named ${node}: nothing to forget.`);
      }
      return { ok: true, forgotten: true };
    },
    cluster_revocations: ({ crl }, call) => {
      authority.requireAdmin(
        call.identity,
        crl === undefined ? 'see the revocation list' : 'change the revocation list',
      );
      return mesh.revocationList(crl);
    },
    mesh_invite: ({ name, ttl_ms, hosts }, call) => {
      authority.requireAdmin(call.identity, 'invite nodes into the mesh');
      return mesh.invite({ name, ttlMs: ttl_ms ?? 3_600_000, hosts: hosts ?? [] });
    },
    mesh_join: async ({ token, address, force }, call) => {
      authority.requireAdmin(call.identity, 'join this node to a mesh');
      return { ok: true, peer: await mesh.join(token, address, force === true) };
    },
    // Read access is checked on each answering node, against its own ACLs.
    query_mesh: ({ table, pattern, limit, timeout_ms }, call) =>
      mesh.query(table, pattern, limit ?? DEFAULT_PAGE, timeout_ms, call.identity),
  };
}
