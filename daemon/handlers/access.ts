import { setTimeout as delay } from 'node:timers/promises';
import { CortexError } from '../../src/protocol/errors.js';
import { credentialIdentity } from '../identity/identity.js';
import type { DaemonServices, HandlerTable } from './types.js';

/** A failed `auth` is answered only after this long, so guessing tokens over the network is impractical. */
export const FAILED_AUTH_DELAY_MS = 1000;

export function accessHandlers({
  access,
  authority,
  tokens,
  subscriptions,
  log,
}: DaemonServices): Pick<
  HandlerTable,
  | 'acl_grant'
  | 'acl_revoke'
  | 'acl_list'
  | 'acl_map'
  | 'acl_unmap'
  | 'auth'
  | 'token_create'
  | 'token_list'
  | 'token_revoke'
> {
  return {
    acl_grant: ({ identity, table, permissions }, call) => ({
      grant: access.grant(call.identity, identity, table, permissions),
    }),
    acl_revoke: ({ identity, table, permissions }, call) => {
      const grant = access.revoke(call.identity, identity, table, permissions);
      subscriptions.rejudge(`table:${table}`);
      return { grant };
    },
    acl_list: ({ identity }, call) => ({
      grants: access.list(call.identity, identity),
      mappings: authority.mappingsFor(call.identity),
    }),
    acl_map: ({ identity, user }, call) => {
      const mapping = authority.map(call.identity, identity, user);
      log.info(`${call.identity.name} mapped ${mapping.identity} onto the local user ${user}`);
      return { mapping };
    },
    acl_unmap: ({ identity }, call) => {
      const removed = authority.unmap(call.identity, identity);
      log.info(`${call.identity.name} unmapped ${removed.identity} (it acted as ${removed.user})`);
      return { ok: true, removed };
    },

    auth: async ({ token }, call) => {
      const name = tokens.verify(token);
      if (name === undefined) {
        log.warn(`failed auth from ${call.caller.peer} (connection ${call.caller.id})`);
        await delay(FAILED_AUTH_DELAY_MS);
        throw new CortexError('EACCES', 'The token is not valid (wrong, revoked, or never created here).');
      }
      call.caller.identity = credentialIdentity('token', name, authority.node);
      log.info(`connection ${call.caller.id} from ${call.caller.peer} authenticated as ${call.caller.identity.name}`);
      return { identity: call.caller.identity.name };
    },
    token_create: ({ name }, call) => {
      authority.requireAdmin(call.identity, 'create tokens');
      return { name, token: tokens.create(name, call.identity.name) };
    },
    token_list: (_params, call) => {
      authority.requireAdmin(call.identity, 'list tokens');
      return { tokens: tokens.list() };
    },
    token_revoke: ({ name }, call) => {
      authority.requireAdmin(call.identity, 'revoke tokens');
      tokens.revoke(name);
      return { ok: true };
    },
  };
}
