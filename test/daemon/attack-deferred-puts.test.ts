import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { NotificationLog } from '../helpers/notifications.js';

interface Change {
  key: string;
  seq: number;
  record: MsgValue;
}

const asChange = (params: MsgValue): Change => params as unknown as Change;

/**
 * Attacks on a put whose INSERT waits past its answer, through a real daemon: a
 * subscription's catch-up from a cursor (it reads the change log and each row), and a
 * graceful shutdown (the waiting rows must reach the database before it closes, not only
 * the journal). Nothing between the puts and the attack reads, which would run the INSERTs.
 */
describe('puts whose INSERTs wait, read by a catch-up and kept by a shutdown', () => {
  it('are replayed to a subscriber from a cursor, and are in the database after a stop', async () => {
    let daemon: DaemonHandle | undefined = await startDaemon({ config: { commit_interval_ms: 60_000 } });
    try {
      const writer = await daemon.connect();
      const first = await daemon.connect();
      const firstLog = new NotificationLog(first);
      await writer.call('create_table', { name: 'notes', attributes: ['id', 'n'] });
      await first.call('subscribe', { topic: 'table:notes' });
      await writer.call('put', { table: 'notes', record: { id: 'p0', n: 0 } });
      const cursor = asChange(
        (await firstLog.waitFor((method) => method === 'table_change', 'the change of p0')).params,
      ).seq;
      for (let i = 1; i <= 5; i++) await writer.call('put', { table: 'notes', record: { id: `p${i}`, n: i } });
      await writer.call('put', { table: 'notes', record: { id: 'p1', n: 'again' } });

      const late = await daemon.connect();
      const lateLog = new NotificationLog(late);
      await late.call('subscribe', { topic: 'table:notes', after: cursor });
      // A round trip on the subscriber's connection: the catch-up sent before its answer has arrived.
      await late.call('ping', {});
      const replayed = lateLog.of('table_change').map(asChange);
      assert.deepEqual(
        replayed.map((change) => [change.key, change.record]),
        [
          ['p2', { id: 'p2', n: 2 }],
          ['p3', { id: 'p3', n: 3 }],
          ['p4', { id: 'p4', n: 4 }],
          ['p5', { id: 'p5', n: 5 }],
          ['p1', { id: 'p1', n: 'again' }],
        ],
      );
      assert.ok(replayed.every((change) => change.seq > cursor));

      await writer.call('put', { table: 'notes', record: { id: 'p6', n: 6 } });
      await lateLog.until(
        () =>
          lateLog
            .of('table_change')
            .map(asChange)
            .find((change) => change.key === 'p6'),
        'the live change of p6',
      );
      writer.close();
      first.close();
      late.close();
      assert.equal(await daemon.stop(), 0);

      daemon = await startDaemon({ home: daemon.home });
      // The shutdown committed the waiting rows: the start has nothing to write again.
      assert.doesNotMatch(daemon.stderr(), /acknowledged puts again/);
      const client = await daemon.connect();
      const { records } = await client.call('all', { table: 'notes', limit: 100 });
      const byId = new Map(records.map((record) => [record['id'], record['n']]));
      assert.equal(byId.size, 7);
      assert.equal(byId.get('p1'), 'again');
      assert.equal(byId.get('p6'), 6);
      client.close();
    } finally {
      await cleanup(daemon);
    }
  });
});
