import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCortex } from '../helpers/cli.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';

const MB = 1024 * 1024;
const lines = (text: string) => text.trim().split('\n').filter(Boolean);
const digest = (text: string) => createHash('sha256').update(text).digest('hex');

describe('backup and restore with cortex export and import', () => {
  let source: DaemonHandle;
  const work = tempDir('cortex-backup-');
  const targets: DaemonHandle[] = [];
  const freshTarget = async () => {
    const target = await startDaemon();
    targets.push(target);
    return target;
  };
  const on = (daemon: DaemonHandle, ...args: string[]) => runCortex(['--home', daemon.home, ...args]);

  before(async () => {
    source = await startDaemon();
  });
  after(async () => {
    await cleanup(source);
    for (const target of targets) await cleanup(target);
    work.remove();
  });

  it('round-trips three 6 MB records, each accepted by put, as JSON lines and as MessagePack', async () => {
    assert.equal((await on(source, 'create_table', 'blobs', 'id,data')).code, 0);
    const client = await source.connect();
    try {
      for (const id of ['a', 'b', 'c']) {
        await client.call('put', { table: 'blobs', record: { id, data: id.repeat(6 * MB) } });
      }
    } finally {
      client.close();
    }
    const original = await on(source, 'all', 'blobs');
    assert.equal(lines(original.stdout).length, 3);
    for (const format of ['json', 'msgpack']) {
      const file = join(work.path, `blobs.${format}`);
      const exported = await on(source, 'export', 'blobs', '--format', format, '--output', file);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(exported.stderr, 'exported 3 records\n');
      const target = await freshTarget();
      const imported = await on(target, 'import', file);
      assert.equal(imported.code, 0, `${format}: ${imported.stderr}`);
      assert.equal(imported.stderr, 'imported 3 records, 0 skipped by version\n');
      const restored = await on(target, 'all', 'blobs');
      assert.equal(digest(restored.stdout), digest(original.stdout), `${format}: the records differ`);
    }
  });

  describe('a backup of 30,000 good records and then one without its key', () => {
    const file = join(work.path, 'bad-at-the-end.jsonl');
    const badLine = 30_002;

    before(() => {
      const entries = [JSON.stringify({ table: 'many', definition: { attributes: ['k', 'v'], indexes: ['v'] } })];
      for (let i = 0; i < 30_000; i++) {
        entries.push(
          JSON.stringify({ table: 'many', record: { k: i, v: `value ${i}` }, version: [1000 + i, 'origin'] }),
        );
      }
      entries.push(JSON.stringify({ table: 'many', record: { v: 'no key' } }));
      writeFileSync(file, `${entries.join('\n')}\n`);
    });

    it('imports nothing, and says which line is wrong and what is wrong with it', async () => {
      const target = await freshTarget();
      const result = await on(target, 'import', file);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(
        result.stderr,
        `cortex import: Line ${badLine} of ${file}: The record's k, the key of many, must be a string or an integer. Nothing was imported.\n`,
      );
      const tables = await on(target, 'tables', '--json');
      assert.equal(tables.stdout, '', 'not even the table was created');
    });

    it('imports nothing into a table that exists either', async () => {
      const target = await freshTarget();
      assert.equal((await on(target, 'create_table', 'many', 'k,v', '--indexes', 'v')).code, 0);
      assert.equal((await on(target, 'put', 'many', '{"k":-1,"v":"was here"}')).code, 0);
      const result = await on(target, 'import', file);
      assert.equal(result.code, 2, result.stderr);
      assert.equal((await on(target, 'all', 'many')).stdout, '{"k":-1,"v":"was here"}\n');
    });

    it('with --partial imports the good records and counts imported, skipped and failed ones', async () => {
      const target = await freshTarget();
      const first = await on(target, 'import', file, '--partial');
      assert.equal(first.code, 2);
      assert.deepEqual(lines(first.stderr), [
        `Line ${badLine} of ${file}: records[0].k, the key of many, must be a string or an integer.`,
        'imported 30000 records, 0 skipped by version, 1 failed',
      ]);
      assert.equal(lines((await on(target, 'all', 'many')).stdout).length, 30_000);
      const again = await on(target, 'import', file, '--partial');
      assert.equal(lines(again.stderr).at(-1), 'imported 0 records, 30000 skipped by version, 1 failed');
    });
  });

  it('says "1 record", and a missing file is exit 3 naming it', async () => {
    const target = await freshTarget();
    assert.equal((await on(target, 'create_table', 'one', 'k')).code, 0);
    assert.equal((await on(target, 'put', 'one', '{"k":"only"}')).code, 0);
    const file = join(work.path, 'one.jsonl');
    const exported = await on(target, 'export', 'one', '--output', file);
    assert.equal(exported.stderr, 'exported 1 record\n');
    const other = await freshTarget();
    assert.equal((await on(other, 'import', file)).stderr, 'imported 1 record, 0 skipped by version\n');
    const missing = join(work.path, 'no-such-backup.jsonl');
    const result = await on(other, 'import', missing);
    assert.equal(result.code, 3);
    assert.equal(result.stderr, `cortex import: There is no backup file ${missing}.\n`);
  });
});

describe('cortex put TABLE - reads its record from standard input', () => {
  let daemon: DaemonHandle;
  const cortex = (args: string[], input?: string) => runCortex(['--home', daemon.home, ...args], { input });

  before(async () => {
    daemon = await startDaemon();
    assert.equal((await cortex(['create_table', 'notes', 'id,text'])).code, 0);
  });
  after(() => cleanup(daemon));

  it('writes a record larger than a command line can hold', async () => {
    const text = 'é'.repeat(300_000);
    const result = await cortex(['put', 'notes', '-'], JSON.stringify({ id: 'big', text }));
    assert.equal(result.code, 0, result.stderr);
    const got = await cortex(['get', 'notes', 'big']);
    assert.equal((JSON.parse(got.stdout) as { text: string }).text, text);
  });

  it('takes one pretty-printed object, or JSON lines all or nothing', async () => {
    const pretty = await cortex(['put', 'notes', '-'], '{\n  "id": "pretty",\n  "text": "indented"\n}\n');
    assert.equal(pretty.code, 0, pretty.stderr);
    const ok = await cortex(['put', 'notes', '-', '--json'], '{"id":"l1","text":"a"}\n{"id":"l2","text":"b"}\n');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '{"ok":true,"count":2}\n');
    const bad = await cortex(['put', 'notes', '-'], '{"id":"l3","text":"c"}\n{"text":"no key"}\n');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^cortex put: Line 2 of standard input: The record's id, the key of notes, must be/);
    assert.equal((await cortex(['get', 'notes', 'l3'])).code, 3, 'line 1 was not written either');
    const ids = lines((await cortex(['all', 'notes'])).stdout).map((line) => (JSON.parse(line) as { id: string }).id);
    assert.deepEqual(ids, ['big', 'l1', 'l2', 'pretty']);
  });
});
