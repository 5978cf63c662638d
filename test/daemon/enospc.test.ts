import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { type CortexError } from '../../src/protocol/errors.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/**
 * A real full disk: the daemon's home is a small tmpfs (the suite runs as root,
 * as CI does). Writes that do not fit fail with ENOSPC; nothing acknowledged is
 * lost, reads keep working, the database stays intact, and once space is freed
 * writes succeed again.
 */
describe('a full disk', () => {
  it('fails the writer with ENOSPC and keeps the database intact and readable', async () => {
    const mount = mkdtempSync(join(tmpdir(), 'cortex-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
    let daemon: DaemonHandle | undefined;
    try {
      daemon = await startDaemon({ home: join(mount, 'home') });
      const client = await daemon.connect();
      await client.call('create_table', { name: 'blobs', attributes: ['id', 'data'] });
      // Leave a little room, held by a file we can delete later.
      const free = statfsSync(mount).bavail * statfsSync(mount).bsize;
      writeFileSync(join(mount, 'filler'), Buffer.alloc(Math.max(0, free - 600 * 1024)));

      const data = Buffer.alloc(32 * 1024, 7);
      const stored: string[] = [];
      let failure: CortexError | undefined;
      for (let i = 0; i < 200 && failure === undefined; i++) {
        try {
          await client.call('put', { table: 'blobs', record: { id: `b${i}`, data } });
          stored.push(`b${i}`);
        } catch (error) {
          failure = error as CortexError;
        }
      }
      assert.ok(failure, 'the disk never filled up');
      assert.equal(failure.code, 'ENOSPC');
      assert.match(failure.message, /disk is full/);
      assert.ok(stored.length > 0);

      // The daemon still serves: every acknowledged record reads back, status answers.
      for (const id of stored) {
        const { record } = await client.call('get', { table: 'blobs', key: id });
        assert.ok(record, `${id} was acknowledged and must be readable`);
      }
      assert.equal((await client.call('status', {})).tables, 1);

      unlinkSync(join(mount, 'filler'));
      await client.call('put', { table: 'blobs', record: { id: 'after', data } });
      assert.ok((await client.call('get', { table: 'blobs', key: 'after' })).record);
      client.close();
      assert.equal(await daemon.stop(), 0);

      const db = new BetterSqlite3(join(daemon.dataDir, 'cortex.db'), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        assert.equal(db.prepare('SELECT count(*) FROM "t_blobs"').pluck().get(), stored.length + 1);
      } finally {
        db.close();
      }
    } finally {
      await daemon?.kill();
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
      if (daemon) await cleanup({ ...daemon, home: join(mount, 'home') });
    }
  });
});
