import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asNobody } from '../helpers/as-nobody.js';
import { runCortex } from '../helpers/cli.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

const parse = (text: string) => JSON.parse(text) as Record<string, unknown>;

/**
 * Local identity comes from the kernel (SO_PEERCRED), not from anything the
 * client says. The suite runs as root; this test runs the real CLI as uid 65534
 * (nobody) through setpriv, on a daemon whose socket the `nogroup` group may use.
 */
describe('local identity and ACLs, with a real second user', () => {
  let daemon: DaemonHandle;
  const nobody = (...args: string[]) => asNobody(['--home', daemon.home, ...args]);
  const root = (...args: string[]) => runCortex(['--home', daemon.home, ...args]);

  before(async () => {
    daemon = await startDaemon({ args: ['--group', 'nogroup', '--node-name', 'a'] });
    assert.equal((await root('create_table', 'secrets', 'k,v')).code, 0);
    assert.equal((await root('put', 'secrets', '{"k":"a","v":"root only"}')).code, 0);
  });
  after(() => cleanup(daemon));

  it('knows each caller by uid, named with its node: root is user:root@a, uid 65534 is user:nobody@a', async () => {
    const mine = JSON.parse((await root('status', '--json')).stdout) as { identity: string };
    assert.equal(mine.identity, 'user:root@a');
    const theirs = await nobody('status', '--json');
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal((JSON.parse(theirs.stdout) as { identity: string }).identity, 'user:nobody@a');
    assert.match((await nobody('status')).stdout, /^identity {4}user:nobody@a$/m);
  });

  it('refuses every read and write path to a table nobody was not granted', async () => {
    const denied: [string[], RegExp][] = [
      [['get', 'secrets', 'a'], /user:nobody@a may not read secrets \(no read permission\)/],
      [['query', 'secrets', '{}'], /user:nobody@a may not read secrets/],
      [['all', 'secrets'], /user:nobody@a may not read secrets/],
      [['export', 'secrets'], /There is no table named "secrets"|user:nobody@a may not read secrets/],
      [['put', 'secrets', '{"k":"b"}'], /user:nobody@a may not write secrets \(no write permission\)/],
      [['delete', 'secrets', 'a'], /user:nobody@a may not write secrets/],
      [['drop_table', 'secrets'], /only its owner \(user:root@a\) or an administrator may/],
      [['acl', 'grant', 'nobody', 'secrets', 'read'], /only its owner \(user:root@a\) or an administrator may/],
      [['get', '_tokens', 'x'], /system tables are for administrators/],
      [['token', 'create', '--name', 'sneaky'], /only administrators/],
      [['token', 'list'], /only administrators/],
    ];
    for (const [args, message] of denied) {
      const result = await nobody(...args);
      assert.notEqual(result.code, 0, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
    assert.doesNotMatch((await nobody('tables')).stdout, /secrets/);
    assert.equal(parse((await root('get', 'secrets', 'a')).stdout)['v'], 'root only', 'nothing changed');
  });

  it('opens exactly what is granted, and closes it again on revoke', async () => {
    assert.equal((await root('acl', 'grant', 'nobody', 'secrets', 'read')).code, 0);
    const read = await nobody('get', 'secrets', 'a');
    assert.equal(read.code, 0, read.stderr);
    assert.equal(parse(read.stdout)['v'], 'root only');
    assert.match((await nobody('tables')).stdout, /secrets/);
    assert.equal((await nobody('put', 'secrets', '{"k":"b"}')).code, 5, 'read does not imply write');

    assert.equal((await root('acl', 'grant', 'nobody', 'secrets', 'write')).code, 0);
    assert.equal((await nobody('put', 'secrets', '{"k":"b","v":"from nobody"}')).code, 0);
    const grants = (await nobody('acl', 'list', '--json')).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { identity: string; table: string; permissions: string[] });
    assert.deepEqual(
      grants.map((grant) => [grant.identity, grant.table, grant.permissions]),
      [['user:nobody@a', 'secrets', ['read', 'write']]],
    );

    assert.equal((await root('acl', 'revoke', 'nobody', 'secrets', 'write')).code, 0);
    assert.equal((await nobody('put', 'secrets', '{"k":"c"}')).code, 5);
    assert.equal((await nobody('get', 'secrets', 'b')).code, 0);
    assert.equal((await root('acl', 'revoke', 'nobody', 'secrets')).code, 0);
    assert.equal((await nobody('get', 'secrets', 'b')).code, 5);
  });

  it('gives the creator of a table full access, and administrators access to everything', async () => {
    assert.equal((await nobody('create_table', 'mine', 'k')).code, 0);
    assert.equal((await nobody('put', 'mine', '{"k":"x"}')).code, 0);
    assert.equal((await nobody('acl', 'grant', 'daemon', 'mine', 'read')).code, 0, 'an owner may grant');
    const tables = (await root('tables', '--json')).stdout;
    assert.match(tables, /"name":"mine".*"owner":"user:nobody@a"/);
    assert.equal(parse((await root('get', 'mine', 'x')).stdout)['k'], 'x');
    assert.equal((await nobody('drop_table', 'mine')).code, 0);
  });
});
