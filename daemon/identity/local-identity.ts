import { userInfo } from 'node:os';
import type { Logger } from '../logger.js';
import type { LocalCredentials } from '../server/unix-listener.js';
import { type Identity, localUser, unidentified } from './identity.js';
import type { AddonOrReason } from '../../src/native/addon.js';

/** The testing aid CORTEX_TEST_FAIL_PEERCRED: every caller's credentials count as unreadable. */
const INDUCED = 'SO_PEERCRED failed: CORTEX_TEST_FAIL_PEERCRED is set (a testing aid)';

/**
 * Identifies callers on the Unix socket by what the kernel says (SO_PEERCRED,
 * read by the addon as it accepts), never by what they claim. A caller whose
 * credentials could not be read is refused, never promoted.
 *
 * Without the addon Node accepts and nobody's credentials are known: the
 * daemon then serves only a 0600 socket (it refuses a group socket at start),
 * which admits only its owner and root, and takes every caller to be its owner.
 */
export class LocalIdentities {
  private readonly owner: Identity;

  constructor(
    node: string,
    private readonly addon: AddonOrReason,
    private readonly log: Logger,
    private readonly failPeerCred = false,
  ) {
    const uid = process.getuid?.() ?? 0;
    const name = 'userName' in addon ? (addon.userName(uid) ?? userInfo().username) : userInfo().username;
    this.owner = localUser(node, { name, uid, gid: process.getgid?.() ?? 0 });
    if ('missing' in addon) {
      log.warn(
        `the native addon is not available (${addon.missing}): callers cannot be told apart, so only a 0600 socket is served and every caller counts as ${this.owner.name}`,
      );
    }
    if (failPeerCred) log.warn('CORTEX_TEST_FAIL_PEERCRED is set (a testing aid): every local caller is refused');
  }

  identify(received: LocalCredentials): Identity {
    const credentials = this.failPeerCred && received !== undefined ? { error: INDUCED } : received;
    if (credentials === undefined) return this.owner;
    if ('error' in credentials) {
      this.log.warn(`a local caller is refused: its identity could not be read (${credentials.error})`);
      return unidentified(credentials.error);
    }
    const name = 'userName' in this.addon ? this.addon.userName(credentials.uid) : null;
    return localUser(this.owner.node, { name, ...credentials });
  }
}
