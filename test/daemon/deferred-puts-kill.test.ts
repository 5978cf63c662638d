import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/**
 * A sequential put's INSERT waits in the daemon's memory after its answer (it runs at
 * the next read, write or commit), so after kill -9 the put exists only in the put
 * journal. Nothing here reads before the kill, which would run the waiting INSERTs.
 */
describe('puts whose INSERTs were still waiting at kill -9', () => {
  it('are all back after the restart, a key put twice with its later record', async () => {
    let daemon: DaemonHandle | undefined = await startDaemon({ config: { commit_interval_ms: 60_000 } });
    try {
      let client = await daemon.connect();
      await client.call('create_table', { name: 'notes', attributes: ['id', 'n'] });
      for (let i = 0; i < 30; i++) await client.call('put', { table: 'notes', record: { id: `n${i}`, n: i } });
      await client.call('put', { table: 'notes', record: { id: 'n0', n: 'again' } });
      await daemon.kill();
      client.close();

      daemon = await startDaemon({ home: daemon.home });
      client = await daemon.connect();
      assert.match(daemon.stderr(), /wrote 31 acknowledged puts again from the put journal/);
      const { records } = await client.call('all', { table: 'notes', limit: 100 });
      const byId = new Map(records.map((record) => [record['id'], record['n']]));
      assert.equal(byId.size, 30);
      assert.equal(byId.get('n0'), 'again');
      for (let i = 1; i < 30; i++) assert.equal(byId.get(`n${i}`), i);
      client.close();
    } finally {
      await cleanup(daemon);
    }
  });
});
