import type { RunAs } from '../../src/protocol/session-events.js';
import type { Identity } from '../identity/identity.js';
import { runAsCaller } from '../identity/system-user.js';

/**
 * The local account a new session's processes (Codex, its commands, the fake's commands) run as, decided
 * once when the session starts and kept with it: the one place sessions ask who that is.
 */
export function sessionUser(identity: Identity): RunAs | null {
  const user = runAsCaller(identity);
  return user === undefined ? null : { uid: user.uid, gid: user.gid, name: user.name };
}
