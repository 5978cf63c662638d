import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectUnix } from '../../src/client/client.js';
import { homePaths } from '../../src/paths.js';
import { runCortex } from '../helpers/cli.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';

const lines = (text: string) => text.trim().split('\n').filter(Boolean);
const json = (text: string) => lines(text).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the cortex CLI against a real daemon', () => {
  let daemon: DaemonHandle;
  const cortex = (...args: string[]) => runCortex(['--home', daemon.home, ...args]);

  before(async () => {
    daemon = await startDaemon();
  });
  after(() => cleanup(daemon));

  it('runs the README example: create_table, put, get, query, all, delete', async () => {
    const created = await cortex('create_table', 'users', 'id,name,email', '--indexes', 'name');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'created users (key id)\n');
    for (const [id, name] of [
      ['u1', 'alice'],
      ['u2', 'bob'],
      ['u3', 'alice'],
    ]) {
      const put = await cortex('put', 'users', JSON.stringify({ id, name, email: `${id}@example.com` }));
      assert.equal(put.code, 0, put.stderr);
      assert.equal(put.stdout, '');
    }
    const got = await cortex('get', 'users', 'u1');
    assert.deepEqual(json(got.stdout), [{ id: 'u1', name: 'alice', email: 'u1@example.com' }]);

    const query = await cortex('query', 'users', '{"name":"alice"}');
    assert.deepEqual(
      json(query.stdout)
        .map((record) => record['id'])
        .sort(),
      ['u1', 'u3'],
    );

    const all = await cortex('all', 'users');
    assert.deepEqual(
      json(all.stdout).map((record) => record['id']),
      ['u1', 'u2', 'u3'],
    );
    const limited = await cortex('all', 'users', '--limit', '2');
    assert.deepEqual(
      json(limited.stdout).map((record) => record['id']),
      ['u1', 'u2'],
    );

    assert.equal((await cortex('delete', 'users', 'u2')).code, 0);
    const gone = await cortex('get', 'users', 'u2');
    assert.equal(gone.code, 3);
    assert.equal(gone.stderr, 'cortex get: users has no record with key "u2".\n');
  });

  it('lists tables and prints status, as text and as --json', async () => {
    const tables = await cortex('tables', '--json');
    const users = json(tables.stdout).find((table) => table['name'] === 'users');
    assert.deepEqual(users?.['attributes'], ['id', 'name', 'email']);
    assert.deepEqual(users?.['indexes'], ['name']);
    assert.equal(users?.['replicate'], 'local');
    assert.match((await cortex('tables')).stdout, /^TABLE\s+ATTRIBUTES.*\nusers\s+id,name,email\s+name\s+local/m);

    const status = await cortex('status', '--json');
    const parsed = JSON.parse(status.stdout) as Record<string, unknown>;
    assert.equal(parsed['pid'], daemon.process.pid);
    assert.equal(parsed['socket'], daemon.socket);
    assert.match((await cortex('status')).stdout, /^pid\s+\d+$/m);
  });

  it('reads integer keys as integers and quoted keys as strings', async () => {
    assert.equal((await cortex('create_table', 'nums', 'n,label')).code, 0);
    assert.equal((await cortex('put', 'nums', '{"n":42,"label":"int"}')).code, 0);
    assert.equal((await cortex('put', 'nums', '{"n":"42","label":"text"}')).code, 0);
    assert.equal(json((await cortex('get', 'nums', '42')).stdout)[0]?.['label'], 'int');
    assert.equal(json((await cortex('get', 'nums', '"42"')).stdout)[0]?.['label'], 'text');
  });

  it('prints one sentence on stderr and a distinct exit code for each kind of mistake', async () => {
    const cases: [string[], number, RegExp][] = [
      [['put', 'users', '{"id":"u9",'], 2, /^cortex put: Argument 2 \(the record\) is not valid JSON: .*position \d+/],
      [['put', 'users', '[1,2]'], 2, /Argument 2 \(the record\) must be a JSON object/],
      [['put', 'users'], 2, /Argument 2 \(the record\) is missing/],
      [['get', 'nosuch', 'k'], 3, /There is no table named "nosuch"/],
      [['create_table', 'users', 'id'], 4, /already exists/],
      [['create_table', 'bad name', 'id'], 2, /params\.name must be a table name/],
      [['put', 'users', '{"name":"no key"}'], 2, /record\.id, the key of users, must be a string or an integer/],
      [['frobnicate'], 2, /there is no command "frobnicate"/],
      [['get', 'users', 'u1', '--bogus'], 2, /Unknown option '--bogus'/],
      [['query', 'users', '{"name":{"$regex":"a"}}'], 2, /\$regex is not a match operator/],
      [['all', 'users', '--limit', 'ten'], 2, /--limit must be a positive integer/],
    ];
    for (const [args, code, message] of cases) {
      const result = await cortex(...args);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.equal(lines(result.stderr).length, 1, `${args.join(' ')} printed more than one line: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('round-trips tables through export and import, as JSON lines and as MessagePack', async () => {
    assert.equal((await cortex('create_table', 'odd', 'k,v', '--indexes', 'v')).code, 0);
    // Written as JSON text: in a JS object literal, __proto__ would set the prototype instead of a key.
    const tricky = [
      `{"k":"bin","v":{"$bin":"${Buffer.from([0, 1, 2, 255]).toString('base64')}"}}`,
      '{"k":"proto","v":"x","__proto__":{"polluted":true},"constructor":"c","prototype":[1]}',
      '{"k":"nested","v":[{"a":[1,2,{"b":null}]},true,-1.5,"ünïcödé ✓"]}',
      '{"k":7,"v":"integer key"}',
    ];
    for (const text of tricky) assert.equal((await cortex('put', 'odd', text)).code, 0, text);
    const before = (await cortex('all', 'odd')).stdout;
    assert.match(before, /"__proto__":\{"polluted":true\}/);

    for (const format of ['json', 'msgpack']) {
      const dir = tempDir();
      const file = join(dir.path, `backup.${format}`);
      const target = await startDaemon();
      try {
        const exported = await cortex('export', 'users', 'odd', '--format', format, '--output', file);
        assert.equal(exported.code, 0, exported.stderr);
        assert.match(exported.stderr, /exported \d+ records\n/);
        if (format === 'json') assert.match(readFileSync(file, 'utf8'), /^\{"table":"users","definition":/);
        const imported = await runCortex(['--home', target.home, 'import', file]);
        assert.equal(imported.code, 0, imported.stderr);
        const restored = await runCortex(['--home', target.home, 'all', 'odd']);
        assert.equal(restored.stdout, before, format);
        const tables = json((await runCortex(['--home', target.home, 'tables', '--json'])).stdout);
        assert.deepEqual(tables.find((table) => table['name'] === 'odd')?.['indexes'], ['v']);
        assert.equal(
          (await runCortex(['--home', target.home, 'all', 'users'])).stdout,
          (await cortex('all', 'users')).stdout,
        );
      } finally {
        await cleanup(target);
        dir.remove();
      }
    }
  });

  it('imports from standard input and says where a broken backup breaks', async () => {
    const input =
      '{"table":"piped","definition":{"attributes":["k"],"indexes":[],"replicate":"local"}}\n{"table":"piped","record":{"k":"a"}}\n';
    const ok = await runCortex(['--home', daemon.home, 'import', '-'], { input });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json((await cortex('get', 'piped', 'a')).stdout)[0]?.['k'], 'a');
    const broken = await runCortex(['--home', daemon.home, 'import', '-'], { input: `${input}{"table":\n` });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /Line 3 of standard input is not valid JSON/);
  });
});

describe('starting a daemon on demand', () => {
  it('starts a background daemon when none answers, and that daemon keeps running', async () => {
    const home = tempDir('cortex-auto-');
    let pid: number | undefined;
    try {
      const first = await runCortex(['--home', home.path, 'status', '--json']);
      assert.equal(first.code, 0, first.stderr);
      pid = (JSON.parse(first.stdout) as { pid: number }).pid;
      const second = await runCortex(['--home', home.path, 'status', '--json']);
      assert.equal((JSON.parse(second.stdout) as { pid: number }).pid, pid, 'the second call reuses the daemon');
      assert.match(readFileSync(join(homePaths(home.path).dataDir, 'cortexd.log'), 'utf8'), /listening on/);
    } finally {
      if (pid !== undefined) {
        // Wait for the daemon to go: its connection closes when it exits.
        const client = await connectUnix(homePaths(home.path).socket);
        const closed = new Promise<void>((resolve) => client.onClose(resolve));
        process.kill(pid, 'SIGTERM');
        await closed;
      }
      home.remove();
    }
  });

  it('says clearly when the daemon it starts cannot run', async () => {
    const home = tempDir('cortex-auto-');
    try {
      const configDir = homePaths(home.path).configDir;
      const { mkdirSync, writeFileSync } = await import('node:fs');
      mkdirSync(configDir, { recursive: true });
      writeFileSync(join(configDir, 'config.json'), '{"synchronous": "sometimes"}');
      const result = await runCortex(['--home', home.path, 'status']);
      assert.equal(result.code, 7);
      assert.match(
        result.stderr,
        /^cortex status: Could not start a daemon: .*synchronous must be one of normal, full/,
      );
    } finally {
      home.remove();
    }
  });
});
