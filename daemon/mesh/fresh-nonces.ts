/** Nonces one node may have in the window at once; a node past it has its calls refused until some expire. */
export const MAX_NONCES_PER_NODE = 1 << 20;

/**
 * The nonces of signed calls seen within the freshness window, per origin node,
 * so that a call is taken once: a relay that sends a call again, signature and
 * all, is refused. A nonce is forgotten once its call's time is out of the
 * window, when no copy of it could pass the time check anyway. Kept per node so
 * that one node's flood of calls fills only its own share.
 */
export class FreshNonces {
  /** Per node: nonce → the time past which its call is stale. In about that order, as calls come. */
  private readonly seen = new Map<string, Map<string, number>>();

  /** Takes the nonce; false if it was seen (or the node has too many in the window). */
  take(node: string, nonce: string, staleAt: number, now: number): boolean {
    let nonces = this.seen.get(node);
    if (nonces === undefined) {
      nonces = new Map();
      this.seen.set(node, nonces);
    }
    forgetStale(nonces, now);
    if (nonces.has(nonce) || nonces.size >= MAX_NONCES_PER_NODE) return false;
    nonces.set(nonce, staleAt);
    return true;
  }
}

/** Drops the oldest nonces that are stale: calls come roughly in time order, so the first ones go first. */
function forgetStale(nonces: Map<string, number>, now: number): void {
  for (const [nonce, staleAt] of nonces) {
    if (staleAt > now) return;
    nonces.delete(nonce);
  }
}
