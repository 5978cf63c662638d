import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TermOutput } from '../helpers/term-output.js';
import { TokenNode } from '../helpers/token-node.js';

/**
 * The attack: a token mapped onto root opens a shell, so the shell runs as root and the token
 * owns it. The administrator takes the mapping back (`acl unmap`) or points it at another user.
 * Every new program the token would start is refused then, but the shell it started is still
 * root's, and owning it was enough to type into it: commands ran as uid 0 for an identity with
 * no local user. Owning a running program holds only while the owner's user is still the one it
 * runs as (Authority.requireUseAs).
 */
describe('attack: a terminal started as a user the token no longer has', () => {
  let node: TokenNode;

  /** A token mapped onto root, connected over TLS, with a shell it opened (as root). */
  const tokenWithRootShell = async (name: string) => {
    const client = await node.mappedToken(name, 'root');
    const { terminal } = await client.call('term_open', { workspace: node.workspace, command: ['/bin/sh'] });
    const output = new TermOutput(client, terminal.id);
    await client.call('term_attach', { id: terminal.id });
    await client.call('term_write', { id: terminal.id, data: 'echo "uid=$(id -u)"\n' });
    await output.waitFor('uid=0');
    return { client, id: terminal.id };
  };

  /** Whether `MARKER-ran` reached the shell (its echo or its output), as the administrator, who may look, sees it. */
  const ranAsRoot = async (id: string, marker: string) => {
    const { admin } = node;
    const seen = new TermOutput(admin, id);
    await admin.call('term_attach', { id });
    await admin.call('term_write', { id, data: `echo "${marker}-checked"\n` });
    await seen.waitFor(`${marker}-checked`);
    await admin.call('term_detach', { id });
    return seen.text.includes(`${marker}-ran`);
  };

  before(async () => {
    node = await TokenNode.start('cortex-attack-unmapped-terminal-');
  });
  after(() => node.stop());

  it('after acl unmap, the token may not type into, attach to or resize its root shell', async () => {
    const { client, id } = await tokenWithRootShell('ci');
    await node.admin.call('acl_unmap', { identity: 'token:ci' });

    const refused = { code: 'EACCES', message: /token:ci@a may no longer use terminal .*has no local user on a now/ };
    await assert.rejects(client.call('term_write', { id, data: 'echo "unmapped-ran"\n' }), refused);
    await assert.rejects(client.call('term_attach', { id }), refused);
    await assert.rejects(client.call('term_resize', { id, cols: 100, rows: 30 }), refused);
    assert.equal(await ranAsRoot(id, 'unmapped'), false, 'the unmapped token ran a command as root');
  });

  it('after a mapping onto another user, the root shell is out of the token’s reach', async () => {
    const { client, id } = await tokenWithRootShell('ops');
    await node.admin.call('acl_map', { identity: 'token:ops', user: 'nobody' });

    await assert.rejects(client.call('term_write', { id, data: 'echo "remapped-ran"\n' }), {
      code: 'EACCES',
      message: /token:ops@a may no longer use terminal .*acts as nobody now/,
    });
    assert.equal(await ranAsRoot(id, 'remapped'), false, 'the token mapped onto nobody ran a command as root');
  });

  it('a token still mapped onto the shell’s user keeps using it (the rule takes nothing else away)', async () => {
    const { client, id } = await tokenWithRootShell('dev');
    const output = new TermOutput(client, id);
    await client.call('term_write', { id, data: 'echo "still-$(id -u)"\n' });
    await output.waitFor('still-0');
    await client.call('term_resize', { id, cols: 100, rows: 30 });
  });
});
