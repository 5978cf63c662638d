import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/**
 * The promise behind "a put that the daemon acknowledged survives kill -9":
 * a writer keeps 32 puts in flight, the daemon is SIGKILLed in the middle of the
 * stream, and after a restart every acknowledged record must be there, intact.
 */
describe('durability', () => {
  it('keeps every acknowledged put across kill -9, with a clean integrity check', async () => {
    let daemon: DaemonHandle | undefined = await startDaemon();
    const acknowledged = new Map<string, number>();
    try {
      const client = await daemon.connect();
      await client.call('create_table', { name: 'log', attributes: ['id', 'n', 'pad'] });
      const killAfter = 3000;
      let killed = false;
      await new Promise<void>((resolve) => {
        let next = 0;
        let inFlight = 0;
        const launch = (): void => {
          while (inFlight < 32 && !killed) {
            const id = `r${next}`;
            const n = next++;
            inFlight++;
            client.call('put', { table: 'log', record: { id, n, pad: 'x'.repeat(200) } }).then(
              () => {
                inFlight--;
                acknowledged.set(id, n);
                if (acknowledged.size === killAfter && !killed) {
                  killed = true;
                  daemon!.process.kill('SIGKILL');
                  resolve();
                }
                launch();
              },
              () => {
                inFlight--;
              },
            );
          }
        };
        launch();
      });
      await daemon.exited;
      client.close();

      daemon = await startDaemon({ home: daemon.home });
      const reader: Client = await daemon.connect();
      const missing: string[] = [];
      const checks = [...acknowledged].map(async ([id, n]) => {
        const { record } = await reader.call('get', { table: 'log', key: id });
        if (record === null || record['n'] !== n) missing.push(id);
      });
      await Promise.all(checks);
      assert.deepEqual(missing, [], `acknowledged records lost after kill -9`);
      assert.ok(acknowledged.size >= killAfter);
      reader.close();
      assert.equal(await daemon.stop(), 0);

      const db = new BetterSqlite3(join(daemon.dataDir, 'cortex.db'), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
    } finally {
      await cleanup(daemon);
    }
  });
});
