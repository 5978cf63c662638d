import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { daemonPool } from '../helpers/daemon-pool.js';

const lines = (text: string) => text.trim().split('\n').filter(Boolean);

describe('all-or-nothing restores', () => {
  const { work, fresh, on } = daemonPool('cortex-backup-');

  describe('a backup of 5,000 good records and then one without its key', () => {
    const file = join(work.path, 'bad-at-the-end.jsonl');
    const badLine = 5_002;

    before(() => {
      const entries = [JSON.stringify({ table: 'many', definition: { attributes: ['k', 'v'], indexes: ['v'] } })];
      for (let i = 0; i < 5_000; i++) {
        entries.push(
          JSON.stringify({ table: 'many', record: { k: i, v: `value ${i}` }, version: [1000 + i, 'origin'] }),
        );
      }
      entries.push(JSON.stringify({ table: 'many', record: { v: 'no key' } }));
      writeFileSync(file, `${entries.join('\n')}\n`);
    });

    it('imports nothing, and says which line is wrong and what is wrong with it', async () => {
      const target = await fresh();
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
      const target = await fresh();
      assert.equal((await on(target, 'create_table', 'many', 'k,v', '--indexes', 'v')).code, 0);
      assert.equal((await on(target, 'put', 'many', '{"k":-1,"v":"was here"}')).code, 0);
      const result = await on(target, 'import', file);
      assert.equal(result.code, 2, result.stderr);
      assert.equal((await on(target, 'all', 'many')).stdout, '{"k":-1,"v":"was here"}\n');
    });

    it('with --partial imports the good records and counts imported, skipped and failed ones', async () => {
      const target = await fresh();
      const first = await on(target, 'import', file, '--partial');
      assert.equal(first.code, 2);
      assert.deepEqual(lines(first.stderr), [
        `Line ${badLine} of ${file}: records[0].k, the key of many, must be a string or an integer.`,
        'imported 5000 records, 0 skipped by version, 1 failed',
      ]);
      assert.equal(lines((await on(target, 'all', 'many')).stdout).length, 5_000);
      const again = await on(target, 'import', file, '--partial');
      assert.equal(lines(again.stderr).at(-1), 'imported 0 records, 5000 skipped by version, 1 failed');
    });
  });

  it('says "1 record", and a missing file is exit 3 naming it', async () => {
    const target = await fresh();
    assert.equal((await on(target, 'create_table', 'one', 'k')).code, 0);
    assert.equal((await on(target, 'put', 'one', '{"k":"only"}')).code, 0);
    const file = join(work.path, 'one.jsonl');
    const exported = await on(target, 'export', 'one', '--output', file);
    assert.equal(exported.stderr, 'exported 1 record\n');
    const other = await fresh();
    assert.equal((await on(other, 'import', file)).stderr, 'imported 1 record, 0 skipped by version\n');
    const missing = join(work.path, 'no-such-backup.jsonl');
    const result = await on(other, 'import', missing);
    assert.equal(result.code, 3);
    assert.equal(result.stderr, `cortex import: There is no backup file ${missing}.\n`);
  });
});
