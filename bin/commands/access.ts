import { CortexError } from '../../src/protocol/errors.js';
import { toJson } from '../../src/json-values.js';
import type { Grant, IdentityMapping, Permission } from '../../src/protocol/access-types.js';
import { type CliContext, type Command, line, withClient } from '../context.js';
import { required } from '../parse-input.js';

function permissionsArgument(text: string | undefined, position: number): Permission[] | undefined {
  if (text === undefined) return undefined;
  const permissions = text.split(',').map((item) => item.trim());
  for (const permission of permissions) {
    if (permission !== 'read' && permission !== 'write') {
      throw new CortexError(
        'EINVAL',
        `Argument ${position} must be read, write or read,write, not ${JSON.stringify(text)}.`,
      );
    }
  }
  return permissions as Permission[];
}

function printGrants(context: CliContext, grants: Grant[]): void {
  if (context.global.json) {
    for (const grant of grants) line(context.stdout, toJson(grant));
    return;
  }
  if (grants.length === 0) {
    line(context.stderr, 'No grants.');
    return;
  }
  for (const grant of grants) {
    line(context.stdout, `${grant.identity}\t${grant.table}\t${grant.permissions.join(',')}\t(by ${grant.granted_by})`);
  }
}

function printMappings(context: CliContext, mappings: IdentityMapping[]): void {
  for (const mapping of mappings) {
    line(
      context.stdout,
      context.global.json
        ? toJson({ mapping })
        : `${mapping.identity}\tacts as ${mapping.user}\t(by ${mapping.mapped_by})`,
    );
  }
}

export const aclCommand: Command = {
  name: 'acl',
  usage:
    'acl grant|revoke IDENTITY TABLE [read,write] | acl map IDENTITY@NODE LOCALUSER | acl unmap IDENTITY@NODE | acl list [IDENTITY]',
  summary:
    'Grant or revoke read/write on a table (owner or administrator); map a remote identity, token or certificate onto a local user (administrators); list both.',
  async run(context, args) {
    const verb = required(args, 0, 'grant, revoke, map, unmap or list');
    await withClient(context, async (client) => {
      if (verb === 'list') {
        const { grants, mappings } = await client.call('acl_list', { identity: args[1] });
        if (grants.length > 0 || mappings.length === 0) printGrants(context, grants);
        printMappings(context, mappings);
        return;
      }
      if (verb === 'map') {
        const identity = required(args, 1, 'the identity (such as root@a or token:ci)');
        const user = required(args, 2, 'the local user it acts as');
        printMappings(context, [(await client.call('acl_map', { identity, user })).mapping]);
        return;
      }
      if (verb === 'unmap') {
        const identity = required(args, 1, 'the identity to unmap');
        const { removed } = await client.call('acl_unmap', { identity });
        line(context.stdout, context.global.json ? toJson({ removed }) : `unmapped ${removed.identity}`);
        return;
      }
      const identity = required(args, 1, 'the identity');
      const table = required(args, 2, 'the table');
      if (verb === 'grant') {
        const permissions = permissionsArgument(required(args, 3, 'the permissions: read, write or read,write'), 4)!;
        printGrants(context, [(await client.call('acl_grant', { identity, table, permissions })).grant]);
      } else if (verb === 'revoke') {
        const permissions = permissionsArgument(args[3], 4);
        printGrants(context, [(await client.call('acl_revoke', { identity, table, permissions })).grant]);
      } else {
        throw new CortexError('EINVAL', `acl takes grant, revoke, map, unmap or list, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};

export const tokenCommand: Command = {
  name: 'token',
  usage: 'token create --name N | token list | token revoke N',
  summary: 'Bearer tokens for remote clients (administrators only); the secret is printed once.',
  options: { name: { type: 'string' } },
  async run(context, args, options) {
    const verb = required(args, 0, 'create, list or revoke');
    await withClient(context, async (client) => {
      if (verb === 'create') {
        const name = (options['name'] as string | undefined) ?? required(args, 1, 'the token name (--name N)');
        const created = await client.call('token_create', { name });
        line(context.stdout, context.global.json ? toJson(created) : created.token);
        if (!context.global.json)
          line(context.stderr, `token ${name} created; this is the only time its secret is shown.`);
      } else if (verb === 'list') {
        const { tokens } = await client.call('token_list', {});
        for (const token of tokens) {
          line(
            context.stdout,
            context.global.json
              ? toJson(token)
              : `${token.name}\tby ${token.creator}\tcreated ${new Date(token.created).toISOString()}\tlast used ${
                  token.last_used === null ? 'never' : new Date(token.last_used).toISOString()
                }`,
          );
        }
      } else if (verb === 'revoke') {
        const name = required(args, 1, 'the token name');
        await client.call('token_revoke', { name });
        line(context.stdout, context.global.json ? toJson({ ok: true }) : `revoked ${name}`);
      } else {
        throw new CortexError('EINVAL', `token takes create, list or revoke, not ${JSON.stringify(verb)}.`);
      }
    });
  },
};
