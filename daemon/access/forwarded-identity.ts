import { CortexError } from '../../src/protocol/errors.js';
import { type Identity, identityOf } from '../identity/identity.js';
import type { Authority } from './authority.js';

/**
 * Who is calling, across nodes. A call forwarded to another node carries its
 * caller's full identity, `KIND:NAME@NODE` (`user:alice@a`, `token:ci@a`,
 * `cert:x@a`), and the node that runs it decides what that identity may do
 * there, by its own mappings and ACLs (Authority): this file is the one place
 * on each side where an identity crosses nodes.
 *
 * Trust: a node believes an identity only from the node it names. A call
 * arriving on the link with b may speak for an identity of b: the link's
 * certificate says it is b. One that came through other nodes (its route says
 * a, then b) may speak for an identity of a only with a's signature over that
 * very call (daemon/mesh/call-verifier.ts): the relays are not believed, since
 * any node of the mesh could be the one relaying. Nobody may speak for this
 * node's own identities, and a route that does not end with the link it came
 * on is refused.
 */

/** Origin side: the caller's full identity as a forwarded call carries it. */
export function forwardedName(identity: Identity): string {
  if (identity.refusal !== undefined) throw new CortexError('EACCES', identity.refusal);
  if (identity.kind === 'anonymous' || identity.kind === 'node') {
    throw new CortexError('EACCES', `${identity.name} may not call other nodes: authenticate first.`);
  }
  return identity.name;
}

/** What a forwarded call says about who sent it. */
export interface ForwardClaim {
  /** The caller's full identity on the node it called from. */
  identity: string;
  /** The nodes the call went through, the first being the caller's node and the last the link it came on. */
  route: readonly string[];
}

/**
 * Target side: turns a forwarded caller into an identity of its node, for this
 * node's Authority to judge, or refuses it (EACCES naming the identity). The
 * methods served to other nodes act on projects, workspaces, sessions, files
 * and terminals, which all need a local user: an identity this node maps onto
 * none may do nothing here.
 */
export class ForwardedIdentities {
  constructor(
    private readonly me: string,
    private readonly authority: Authority,
  ) {}

  /** `proven`: checks the origin's signature of a relayed call, between the claim's own checks and the mapping. */
  accept(claim: ForwardClaim, linkPeer: string, proven: () => void): Identity {
    const identity = this.vouched(claim, linkPeer);
    proven();
    if (this.authority.localUserOf(identity) === undefined)
      throw new CortexError('EACCES', this.unmapped(identity.name));
    return identity;
  }

  /**
   * Called with an identity of another node, and why, when it stops acting as the local user its calls here
   * were accepted for: the streams it opened as that user end (a stream is read for as long as it lasts,
   * so it is judged again when the mapping it was accepted by goes).
   */
  onWithdrawn(listener: (identity: string, why: string) => void): () => void {
    return this.authority.onRemapped((name) => {
      const identity = identityOf(name);
      if (identity === undefined || identity.node === this.me) return;
      const why =
        this.authority.localUserOf(identity) === undefined
          ? this.unmapped(name)
          : `${name} acts as another local user on ${this.me} now: what it opened as the one before has ended`;
      listener(name, why);
    });
  }

  /** The node the caller is on, once the claim is found to come from it (see the trust rule above); else EACCES. */
  vouch(claim: ForwardClaim, linkPeer: string, proven: () => void): string {
    const { route } = claim;
    const origin = route[0];
    if (origin === undefined || route[route.length - 1] !== linkPeer) {
      throw refused(claim, `it came from ${linkPeer}, which its route does not end with`);
    }
    // A node may speak for itself (to ask where an object is); nothing maps a node onto a user.
    if (claim.identity !== `node:${origin}` || origin === this.me) this.vouched(claim, linkPeer);
    proven();
    return origin;
  }

  private vouched(claim: ForwardClaim, linkPeer: string): Identity {
    const { route } = claim;
    const origin = route[0];
    if (origin === undefined || route[route.length - 1] !== linkPeer) {
      throw refused(claim, `it came from ${linkPeer}, which its route does not end with`);
    }
    const identity = identityOf(claim.identity);
    if (identity === undefined || identity.kind === 'node' || identity.kind === 'anonymous') {
      throw refused(claim, `${JSON.stringify(claim.identity)} is not an identity (KIND:NAME@NODE)`);
    }
    if (identity.node === this.me) {
      throw refused(claim, `no other node may speak for ${identity.name}, an identity of ${this.me}`);
    }
    if (identity.node !== origin) throw refused(claim, `a call from ${origin} may not speak for ${identity.name}`);
    return identity;
  }

  private unmapped(name: string): string {
    return `${name} has no local user on ${this.me}: an administrator of ${this.me} maps it onto one (cortex acl map ${name} USER) before it may do anything there.`;
  }
}

function refused(claim: ForwardClaim, why: string): CortexError {
  return new CortexError('EACCES', `The call for ${claim.identity} was refused: ${why}.`);
}
