import { CortexError } from '../../src/protocol/errors.js';
import { NODE_NAME } from '../../src/protocol/store-types.js';
import type { Identity } from '../identity/identity.js';
import { systemUserByName } from '../identity/system-user.js';

/**
 * Who is calling, across nodes. A call forwarded to another node carries its
 * caller's full identity, `KIND:NAME@NODE` (`user:alice@a`, `token:ci@a`,
 * `cert:x@a`), and the node that runs it decides what that identity may do
 * there: this file is the one place on each side where that happens.
 *
 * Trust: a node believes an identity only from the node it names, and only as
 * far as its links vouch for it. A call arriving on the link with b may speak
 * for an identity of b; one that b relays for a (its route says a, then b) may
 * speak for an identity of a, because b is trusted to relay faithfully, as it
 * is for a's writes it replicates. Nobody may speak for this node's own
 * identities, and a route that does not end with the link it came on is refused.
 */

const FORWARDED_KINDS: Readonly<Record<'unix' | 'token' | 'certificate', string>> = {
  unix: 'user',
  token: 'token',
  certificate: 'cert',
};

/** Origin side: the caller's full identity as a forwarded call carries it. */
export function forwardedName(identity: Identity, node: string): string {
  if (identity.origin !== undefined) return identity.origin.identity;
  if (identity.via === 'none' || identity.via === 'mesh') {
    throw new CortexError('EACCES', `${identity.name} may not call other nodes: authenticate first.`);
  }
  // A local uid the user database does not know is named user:UID on this node.
  const name =
    identity.via === 'unix' && identity.name.startsWith('user:') ? `#${identity.name.slice(5)}` : identity.name;
  return `${FORWARDED_KINDS[identity.via]}:${name}@${node}`;
}

/** What a forwarded call says about who sent it. */
export interface ForwardClaim {
  /** The caller's full identity on the node it called from. */
  identity: string;
  /** The nodes the call went through, the first being the caller's node and the last the link it came on. */
  route: readonly string[];
}

/**
 * Target side: turns a forwarded caller into an identity of this node, or
 * refuses it (EACCES naming the identity). Until identities carry their node
 * everywhere, a remote identity acts here as the local user it is mapped onto
 * (`identity_map` in config.json); with no mapping it may do nothing.
 */
export class ForwardedIdentities {
  constructor(
    private readonly me: string,
    /** Full remote identity → local user name. */
    private readonly mappings: ReadonlyMap<string, string>,
    private readonly daemonUid: number,
  ) {}

  accept(claim: ForwardClaim, linkPeer: string): Identity {
    const origin = this.vouch(claim, linkPeer);
    const local = this.mappings.get(claim.identity);
    if (local === undefined) {
      throw new CortexError(
        'EACCES',
        `${claim.identity} has no local user on ${this.me}: an administrator of ${this.me} maps it onto one ("identity_map" in its config.json) before it may do anything there.`,
      );
    }
    const account = systemUserByName(local);
    if (account === undefined) {
      throw new CortexError('EACCES', `${claim.identity} is mapped onto ${local}, which is not a user of ${this.me}.`);
    }
    return {
      name: account.name,
      via: 'mesh',
      uid: account.uid,
      admin: account.uid === 0 || account.uid === this.daemonUid,
      origin: { node: origin, identity: claim.identity },
    };
  }

  /** The node the caller is on, once the claim is found to come from it (see the trust rule above); else EACCES. */
  vouch(claim: ForwardClaim, linkPeer: string): string {
    const { route } = claim;
    const origin = route[0];
    if (origin === undefined || route[route.length - 1] !== linkPeer) {
      throw refused(claim, `it came from ${linkPeer}, which its route does not end with`);
    }
    // A node may speak for itself (to ask where an object is); nothing maps a node onto a user.
    if (claim.identity === `node:${origin}` && origin !== this.me) return origin;
    const at = claim.identity.lastIndexOf('@');
    const colon = claim.identity.indexOf(':');
    const kind = claim.identity.slice(0, colon);
    const node = claim.identity.slice(at + 1);
    if (colon < 1 || at < colon + 2 || !['user', 'token', 'cert'].includes(kind) || !NODE_NAME.test(node)) {
      throw refused(claim, `${JSON.stringify(claim.identity)} is not an identity (KIND:NAME@NODE)`);
    }
    if (node === this.me) throw refused(claim, `no other node may speak for ${claim.identity}, an identity of ${node}`);
    if (node !== origin) throw refused(claim, `a call from ${origin} may not speak for ${claim.identity}`);
    return origin;
  }
}

function refused(claim: ForwardClaim, why: string): CortexError {
  return new CortexError('EACCES', `The call for ${claim.identity} was refused: ${why}.`);
}
