import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { WAIT_MS } from '../protocol/raw-client.js';

/**
 * WAL checkpoints run on the daemon's checkpoint thread (daemon/store/checkpointer.ts), not
 * inside a COMMIT on its event loop once the WAL passes SQLite's 1,000 pages.
 */
describe('checkpoints', () => {
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
  });

  after(async () => {
    client?.close();
    await cleanup(daemon);
  });

  /** No event says a checkpoint ran: a bounded poll of the file's size. */
  async function untilGrownPast(file: string, size: number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (statSync(file).size < size) {
      assert.ok(Date.now() < deadline, `cortex.db stayed at ${statSync(file).size} bytes`);
      await sleep(20);
    }
  }

  it('copies committed writes into cortex.db while the daemon runs, long before the WAL reaches 1,000 pages', async () => {
    await client.call('create_table', { name: 'ck', attributes: ['id'] });
    const file = join(daemon.dataDir, 'cortex.db');
    const wal = `${file}-wal`;
    const records = (round: number) =>
      Array.from({ length: 1000 }, (_, i) => ({ id: `r${round}.${i}`, pad: 'x'.repeat(300) }));
    const before = statSync(file).size;
    await client.call('put_many', { table: 'ck', records: records(1) });
    // About 400 KB of records, a hundred-odd pages: SQLite alone would leave them in the WAL.
    assert.ok(statSync(wal).size < 1000 * 4096, 'the WAL stays under the 1,000 pages of SQLite’s own checkpoint');
    await untilGrownPast(file, before + 300_000);
    // The thread watches the WAL again after each copy: a later write is copied too.
    const copied = statSync(file).size;
    await client.call('put_many', { table: 'ck', records: records(2) });
    await untilGrownPast(file, copied + 300_000);
    const { record } = await client.call('get', { table: 'ck', key: 'r2.999' });
    assert.notEqual(record, null);
  });
});
