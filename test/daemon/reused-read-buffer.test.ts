import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

const COUNT = 2000;
/** A request read over would never be answered: each call fails at this deadline instead of waiting forever. */
const WITHIN = { timeoutMs: 30_000 };

/** A record of about 300 bytes whose every field says which it is. */
function recordOf(i: number): { id: string; n: number; body: string } {
  return { id: `k${i}`, n: i, body: `record ${i} `.repeat(24) };
}

/**
 * The daemon's Unix connections and connectUnix read into one buffer per socket,
 * reused for every read. Puts are stored as the bytes they arrived in, straight
 * from that buffer, and a burst of pipelined requests spans several reads, each
 * handed on 32 requests a turn while later reads arrive: no request or stored
 * record may be read over by a later read.
 */
describe('pipelined bursts over sockets that reuse their read buffer', () => {
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
    await client.call('create_table', { name: 'burst', attributes: ['id'] });
  });

  after(async () => {
    client.close();
    await cleanup(daemon);
  });

  it('stores every record of a burst of puts as it was sent, and gives each back to a burst of gets', async () => {
    // About 600 KB of puts sent in one write, and the gets likewise: many reads of 64 KiB each way.
    const puts = Array.from({ length: COUNT }, (_, i) =>
      client.call('put', { table: 'burst', record: recordOf(i) }, WITHIN),
    );
    for (const result of await Promise.all(puts)) assert.deepEqual(result, { ok: true });
    const gets = Array.from({ length: COUNT }, (_, i) => client.call('get', { table: 'burst', key: `k${i}` }, WITHIN));
    const answers = await Promise.all(gets);
    const wrong = answers.flatMap((answer, i) => (isDeepStrictEqual(answer.record, recordOf(i)) ? [] : [i]));
    assert.deepEqual(wrong, [], 'records that came back other than they were put');
    assert.deepEqual(await client.call('count', { table: 'burst' }), { count: COUNT });
  });
});
