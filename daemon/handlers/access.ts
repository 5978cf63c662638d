import { setTimeout as delay } from 'node:timers/promises';
import { CortexError } from '../../src/protocol/errors.js';
import type { Identity } from '../identity/identity.js';
import type { DaemonServices, HandlerTable } from './types.js';

/** A failed `auth` is answered only after this long, so guessing tokens over the network is impractical. */
export const FAILED_AUTH_DELAY_MS = 1000;

function requireAdmin(identity: Identity, action: string): void {
  if (!identity.admin) {
    throw new CortexError(
      'EACCES',
      `${identity.name} may not ${action}: only administrators (the daemon's owner and root) may.`,
    );
  }
}

export function accessHandlers({
  access,
  tokens,
  log,
}: DaemonServices): Pick<
  HandlerTable,
  'acl_grant' | 'acl_revoke' | 'acl_list' | 'auth' | 'token_create' | 'token_list' | 'token_revoke'
> {
  return {
    acl_grant: ({ identity, table, permissions }, call) => ({
      grant: access.grant(call.identity, identity, table, permissions),
    }),
    acl_revoke: ({ identity, table, permissions }, call) => ({
      grant: access.revoke(call.identity, identity, table, permissions),
    }),
    acl_list: ({ identity }, call) => ({ grants: access.list(call.identity, identity) }),

    auth: async ({ token }, call) => {
      const name = tokens.verify(token);
      if (name === undefined) {
        log.warn(`failed auth from ${call.caller.peer} (connection ${call.caller.id})`);
        await delay(FAILED_AUTH_DELAY_MS);
        throw new CortexError('EACCES', 'The token is not valid (wrong, revoked, or never created here).');
      }
      call.caller.identity = { name, via: 'token', admin: false };
      log.info(`connection ${call.caller.id} from ${call.caller.peer} authenticated as token ${name}`);
      return { identity: name };
    },
    token_create: ({ name }, call) => {
      requireAdmin(call.identity, 'create tokens');
      return { name, token: tokens.create(name, call.identity.name) };
    },
    token_list: (_params, call) => {
      requireAdmin(call.identity, 'list tokens');
      return { tokens: tokens.list() };
    },
    token_revoke: ({ name }, call) => {
      requireAdmin(call.identity, 'revoke tokens');
      tokens.revoke(name);
      return { ok: true };
    },
  };
}
