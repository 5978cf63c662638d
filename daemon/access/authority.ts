import { CortexError } from '../../src/protocol/errors.js';
import type { IdentityMapping } from '../../src/protocol/access-types.js';
import { formatIdentity, type IdentityParts, parseIdentity } from '../../src/protocol/identity-names.js';
import { type Identity, identityOf } from '../identity/identity.js';
import { type SystemUser, systemUserById, systemUserByName, unknownUser } from '../identity/system-user.js';
import type { IdentityMap } from './identity-map.js';

/**
 * Who may do what on this node, in one place: administrators, ownership, the
 * mapping of identities onto local users, and whom work runs as. Table grants
 * build on it (AccessControl). Every rule is about full identities, so
 * `user:root@a` is not `user:root@b` and a certificate is never a local user.
 *
 * - Administrators are this node's root and the daemon's owner (local callers
 *   by their kernel uid), and any identity mapped onto one of them.
 * - An identity holds what its own name holds and, when mapped, what its local
 *   user's name (`user:NAME@THIS_NODE`) holds.
 * - Work on this machine (programs, files) runs as the caller's local user; a
 *   caller without one does none.
 */
export class Authority {
  private readonly remapped = new Set<(identity: string) => void>();

  constructor(
    /** This node's name. */
    readonly node: string,
    private readonly daemonUid: number,
    private readonly mappings: IdentityMap,
  ) {}

  isAdmin(identity: Identity): boolean {
    if (identity.kind === 'user' && identity.node === this.node) {
      return identity.uid !== undefined && this.isAdminUid(identity.uid);
    }
    const uid = this.mappings.get(identity.name)?.uid;
    return uid !== undefined && this.isAdminUid(uid);
  }

  requireAdmin(identity: Identity, action: string): void {
    if (this.isAdmin(identity)) return;
    throw new CortexError(
      'EACCES',
      `${identity.name} may not ${action}: only administrators (the daemon's owner and root) may.`,
    );
  }

  /** The full name of the local user the identity is mapped onto (`user:NAME@THIS_NODE`), if it is. */
  mappedName(identity: Identity): string | undefined {
    return this.mappings.get(identity.name)?.localName;
  }

  /** Whether the identity is `owner`, itself or through its mapping (administrators are not owners). */
  holds(identity: Identity, owner: string): boolean {
    return identity.name === owner || this.mappedName(identity) === owner;
  }

  /** The owner-or-administrator rule of sessions, workspaces, terminals, tables. */
  mayUse(identity: Identity, owner: string): boolean {
    return this.holds(identity, owner) || this.isAdmin(identity);
  }

  /** Throws EACCES unless the identity may use `what`, which belongs to `owner`. */
  requireUse(identity: Identity, owner: string, what: string): void {
    if (this.mayUse(identity, owner)) return;
    throw new CortexError('EACCES', `${identity.name} may not use ${what} (it belongs to ${owner}).`);
  }

  /**
   * Throws EACCES unless the identity may use `what`, a program that runs as the local user `uid` for
   * `owner`: the owner-or-administrator rule, and for an owner that is not an administrator, its local
   * user must still be that one. Owning a running program is reach into its user's account, which only
   * the mapping gave: once `acl unmap` takes the user away, or a mapping points elsewhere, the owner may
   * no longer type into, watch, resize or restart what it started as the user before.
   */
  requireUseAs(identity: Identity, owner: string, uid: number, what: string): void {
    this.requireUse(identity, owner, what);
    if (this.isAdmin(identity)) return;
    const user = this.localUserOf(identity);
    if (user?.uid === uid) return;
    const now = user === undefined ? `has no local user on ${this.node} now` : `acts as ${user.name} now`;
    throw new CortexError(
      'EACCES',
      `${identity.name} may no longer use ${what}: it runs as uid ${uid}, and ${identity.name} ${now}.`,
    );
  }

  /**
   * The local account an identity acts as on this node: a local caller's own
   * (by its kernel uid when known), or the one it is mapped onto; undefined
   * when it has none. A call forwarded from another node resolves here too.
   */
  localUserOf(identity: Identity): SystemUser | undefined {
    if (identity.kind === 'user' && identity.node === this.node) {
      if (identity.uid !== undefined) {
        return systemUserById(identity.uid) ?? unknownUser(identity.uid, identity.gid ?? identity.uid);
      }
      return systemUserByName(identity.name.slice('user:'.length, identity.name.lastIndexOf('@')));
    }
    return this.mappedUser(identity);
  }

  /**
   * Whom the caller's work (programs, file operations) runs as: undefined for
   * the daemon's own user, else the local account to switch to. Refused
   * (EACCES) for a caller with no local user, and, on a daemon that is not
   * root, for one whose local user is neither the daemon's nor root.
   */
  runAs(identity: Identity): SystemUser | undefined {
    const user = this.localUserOf(identity);
    if (user === undefined) {
      throw new CortexError(
        'EACCES',
        `${identity.name} has no local user on ${this.node}, so it may not run programs or use files here; an administrator can map it to one: cortex acl map ${identity.name} USER.`,
      );
    }
    if (user.uid === this.daemonUid) return undefined;
    if (this.daemonUid === 0) return user;
    // Root asking a user's daemon gets the work done as that user: less than it has, never more.
    if (user.uid === 0) return undefined;
    throw new CortexError(
      'EACCES',
      `This daemon runs as uid ${this.daemonUid}, so it can only work as that user, not as ${user.name} (${identity.name}); a daemon in system mode (root) runs each user's work as that user.`,
    );
  }

  /** runAs for something stored with its owner's full name (a session, a terminal). */
  runAsOwner(owner: string): SystemUser | undefined {
    const identity = identityOf(owner);
    if (identity === undefined) {
      throw new CortexError('EACCES', `The owner ${owner} is not an identity, so nothing may run for it.`);
    }
    return this.runAs(identity);
  }

  /** A typed identity in full: `alice` → `user:alice@THIS_NODE`, `root@a` → `user:root@a`. */
  qualify(text: string): string {
    return formatIdentity(this.partsOf(text));
  }

  private partsOf(text: string): IdentityParts {
    const parts = parseIdentity(text, this.node);
    if (parts === undefined) throw new CortexError('EINVAL', `${JSON.stringify(text)} is not an identity.`);
    if (parts.kind === 'node') {
      throw new CortexError('EINVAL', `${text} is a node: grants and mappings are for users, tokens and certificates.`);
    }
    return parts;
  }

  /** acl_map: lets `identity` act as the local user `user`. */
  map(by: Identity, text: string, user: string): IdentityMapping {
    this.requireAdmin(by, 'map identities onto local users');
    const parts = this.partsOf(text);
    const identity = formatIdentity(parts);
    if (parts.kind === 'user' && parts.node === this.node) {
      throw new CortexError(
        'EINVAL',
        `${identity} is already a local user of ${this.node}; only other identities are mapped.`,
      );
    }
    if (systemUserByName(user) === undefined) {
      throw new CortexError('ENOTFOUND', `There is no local user named ${user} on ${this.node}.`);
    }
    const mapping = { identity, user, mapped_by: by.name, mapped: Date.now() };
    const before = this.mappings.get(identity)?.mapping.user;
    this.mappings.set(mapping);
    if (before !== undefined && before !== user) this.tellRemapped(identity);
    return mapping;
  }

  /** acl_unmap: the identity no longer acts as a local user. */
  unmap(by: Identity, text: string): IdentityMapping {
    this.requireAdmin(by, 'unmap identities');
    const identity = this.qualify(text);
    const removed = this.mappings.delete(identity);
    if (removed === undefined) throw new CortexError('ENOTFOUND', `${identity} is not mapped onto a local user.`);
    this.tellRemapped(identity);
    return removed;
  }

  /**
   * Called with an identity's full name when it stops acting as the local user it did (unmapped, or
   * mapped onto another): what it was let do as that user, and still holds open, ends.
   */
  onRemapped(listener: (identity: string) => void): () => void {
    this.remapped.add(listener);
    return () => this.remapped.delete(listener);
  }

  /** The mappings a caller may see: all for administrators, else its own. */
  mappingsFor(by: Identity): IdentityMapping[] {
    const all = this.mappings.all();
    return this.isAdmin(by) ? all : all.filter((mapping) => mapping.identity === by.name);
  }

  private mappedUser(identity: Identity): SystemUser | undefined {
    const mapped = this.mappings.get(identity.name);
    return mapped === undefined ? undefined : systemUserByName(mapped.mapping.user);
  }

  private tellRemapped(identity: string): void {
    for (const listener of this.remapped) listener(identity);
  }

  private isAdminUid(uid: number): boolean {
    return uid === 0 || uid === this.daemonUid;
  }
}
