import type { Socket } from 'node:net';
import { userInfo } from 'node:os';
import type { Logger } from '../logger.js';
import type { Identity } from './identity.js';
import type { NativeAddon } from './native.js';

/**
 * Identifies callers on the Unix socket by what the kernel says (SO_PEERCRED),
 * never by what they claim. Without the addon every local caller is taken to be
 * the daemon's owner, which is what a 0600 socket allows anyway; it says so once.
 */
export class LocalIdentities {
  private readonly ownerUid: number;
  private readonly owner: Identity;

  constructor(
    private readonly addon: NativeAddon | { missing: string },
    private readonly log: Logger,
  ) {
    this.ownerUid = process.getuid?.() ?? 0;
    const name = 'userName' in addon ? (addon.userName(this.ownerUid) ?? userInfo().username) : userInfo().username;
    this.owner = { name, via: 'unix', uid: this.ownerUid, admin: true };
    if ('missing' in addon) {
      log.warn(`SO_PEERCRED is not available (${addon.missing}); every local caller counts as ${name}`);
    }
  }

  /** The daemon owner's identity: the creator of tables made by the daemon itself. */
  get ownerIdentity(): Identity {
    return this.owner;
  }

  identify(socket: Socket): Identity {
    if ('missing' in this.addon) return this.owner;
    // Node has no public way to read a socket's fd, which SO_PEERCRED needs: its internal handle is read, and checked.
    const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return this.owner;
    try {
      const { uid, pid } = this.addon.peerCred(fd);
      const name = this.addon.userName(uid) ?? `user:${uid}`;
      return { name, via: 'unix', uid, pid, admin: uid === 0 || uid === this.ownerUid };
    } catch (error) {
      this.log.warn(`SO_PEERCRED failed (${(error as Error).message}); treating the caller as nobody`);
      return { name: 'user:unknown', via: 'unix', admin: false };
    }
  }
}
