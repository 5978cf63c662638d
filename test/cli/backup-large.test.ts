import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { daemonPool } from '../helpers/daemon-pool.js';

const MB = 1024 * 1024;
const lines = (text: string) => text.trim().split('\n').filter(Boolean);
const digest = (text: string) => createHash('sha256').update(text).digest('hex');

describe('backup and restore of large records', () => {
  const { work, fresh, on } = daemonPool('cortex-backup-');

  it('round-trips three 6 MB records, each accepted by put', async () => {
    const source = await fresh();
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
    // A MessagePack backup takes the same path to the daemon (cli.test.ts round-trips one).
    const file = join(work.path, 'blobs.jsonl');
    const exported = await on(source, 'export', 'blobs', '--output', file);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stderr, 'exported 3 records\n');
    const target = await fresh();
    const imported = await on(target, 'import', file);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.stderr, 'imported 3 records, 0 skipped by version\n');
    const restored = await on(target, 'all', 'blobs');
    assert.equal(digest(restored.stdout), digest(original.stdout), 'the records differ');
  });
});
