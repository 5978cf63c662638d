import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/** Far more than a Unix socket takes at once (about 200 KB each way), so its answer is sent in parts. */
const BIG = 'x'.repeat(3 * 1024 * 1024);

/**
 * The daemon sends an answer straight to the socket when nothing is queued before
 * it, and through the socket's stream otherwise. An answer the socket takes only
 * in part must have its rest sent before any later answer: every answer arrives
 * whole and in order however the two ways mix.
 */
describe('answers sent straight to the socket and through its stream', () => {
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
    await client.call('create_table', { name: 'big', attributes: ['id'] });
    await client.call('put', { table: 'big', record: { id: 'big', body: BIG } });
  });

  after(async () => {
    client.close();
    await cleanup(daemon);
  });

  it('gives every answer whole when large answers sent in parts and small ones are pipelined together', async () => {
    const calls: Promise<unknown>[] = [];
    const expected: unknown[] = [];
    for (let round = 0; round < 4; round++) {
      calls.push(client.call('get', { table: 'big', key: 'big' }));
      expected.push({ record: { id: 'big', body: BIG } });
      for (let i = 0; i < 20; i++) {
        // A put is answered after its commit, a turn later: while the large answer may still be going out.
        calls.push(client.call('put', { table: 'big', record: { id: `s${round}-${i}`, n: i } }).then(() => 'put'));
        expected.push('put');
        calls.push(client.call('get', { table: 'big', key: `s${round}-${i}` }));
        expected.push({ record: { id: `s${round}-${i}`, n: i } });
      }
    }
    assert.deepEqual(await Promise.all(calls), expected);
  });

  it('answers a sequential caller after a large answer as before', async () => {
    const big = await client.call('get', { table: 'big', key: 'big' });
    assert.equal((big.record as { body: string }).body.length, BIG.length);
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(await client.call('get', { table: 'big', key: 's0-1' }), { record: { id: 's0-1', n: 1 } });
    }
  });
});
