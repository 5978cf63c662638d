import type { Authority } from '../access/authority.js';
import type { TokenStore } from '../access/token-store.js';
import { credentialIdentity, type Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { Connection } from './connection.js';

export interface CredentialWatch {
  authority: Authority;
  tokens: TokenStore;
  subscriptions: Subscriptions;
  /** The open connections of this node's clients (Unix socket and TLS). */
  connections: ReadonlySet<Connection>;
  log: Logger;
}

/**
 * An open connection is judged by what its credential is now, not by what it was at `auth`, as
 * Redis's ACL judges its clients: a call asks the authority each time, so only what was let once
 * and lasts, a stream, needs telling. A revoked token is a deleted user (Redis's ACL DELUSER):
 * its connections are closed, told why. An identity mapped onto another local user, or onto none
 * any more, is a changed user (ACL SETUSER): the connection stays, its streams end, each told
 * why with its cursor, and a subscription again is judged as the identity stands then.
 */
export function followCredentials({ authority, tokens, subscriptions, connections, log }: CredentialWatch): void {
  authority.onRemapped((name) => {
    for (const connection of connections) {
      if (connection.identity.name === name)
        subscriptions.endEvery(connection, whyEnded(authority, connection.identity));
    }
  });
  tokens.onRevoked((token) => {
    const revoked = credentialIdentity('token', token, authority.node).name;
    for (const connection of connections) {
      if (connection.identity.name !== revoked) continue;
      log.info(`connection ${connection.id}: closed, its token ${token} was revoked`);
      connection.closeFor({
        code: 'EACCES',
        message: `The token ${token} was revoked, so the daemon closed this connection, which authenticated with it.`,
      });
    }
  });
}

function whyEnded(authority: Authority, identity: Identity): string {
  const { name } = identity;
  if (authority.localUserOf(identity) === undefined) {
    return `${name} has no local user on ${authority.node} any more (an administrator unmapped it): the streams it opened as that user have ended`;
  }
  return `${name} acts as another local user on ${authority.node} now: the streams it opened as the one before have ended`;
}
