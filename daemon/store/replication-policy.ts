import type { ReplicationPolicy } from '../../src/protocol/store-types.js';

/**
 * Whether a table with this policy lives on `node`: `local` lives only where it was
 * created (so on no other node), `mesh` everywhere, `peers:a,b` on the nodes listed.
 * The same rule decides where a change is sent and whether a received one is taken.
 */
export function policyIncludes(policy: ReplicationPolicy, node: string): boolean {
  if (policy === 'mesh') return true;
  if (policy === 'local') return false;
  return policyNodes(policy).includes(node);
}

/** The nodes named by `peers:a,b`; empty for `local` and `mesh`. */
export function policyNodes(policy: ReplicationPolicy): string[] {
  return policy.startsWith('peers:') ? policy.slice('peers:'.length).split(',') : [];
}
