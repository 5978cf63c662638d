import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../src/client/client.js';
import { directWrites } from '../../src/client/direct-writes.js';
import { type AddonOrReason, loadNativeAddon } from '../../src/native/addon.js';
import { ReadBuffer } from '../../src/rpc/read-buffer.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/** Far more than a Unix socket takes at once (about 200 KB), so a request carrying it is sent in parts. */
const BIG = 'y'.repeat(3 * 1024 * 1024);

/** What the addon's writeSome did for one client: calls, and calls that took only part of the bytes. */
interface Sends {
  calls: number;
  partial: number;
}

/** The real addon, its writeSome counted. */
function countedAddon(sends: Sends): () => AddonOrReason {
  return () => {
    const addon = loadNativeAddon();
    if ('missing' in addon) return addon;
    return {
      ...addon,
      writeSome(fd, bytes) {
        const taken = addon.writeSome(fd, bytes);
        sends.calls++;
        if (taken >= 0 && taken < bytes.length) sends.partial++;
        return taken;
      },
    };
  };
}

/** A client of `socketPath` as connectUnix makes it, with `load` as the addon's loader. */
async function clientWith(socketPath: string, load: () => AddonOrReason): Promise<Client> {
  const reads = new ReadBuffer();
  const socket = connect({ path: socketPath, onread: reads.onread });
  const client = new Client(socket, { openOn: 'connect', reads, writeSome: directWrites(socket, load) });
  await client.opened;
  return client;
}

/**
 * The client sends its requests straight to its Unix socket with the addon (after
 * a connection's first few writes), and through the socket's stream while the
 * stream has anything queued. A request the socket takes only in part must have
 * its rest sent before any later request: the daemon must read every request
 * whole and in order however the two ways mix. Without the addon, everything goes
 * through the stream as before.
 */
describe('a client writing straight to its Unix socket', () => {
  let daemon: DaemonHandle;

  before(async () => {
    daemon = await startDaemon();
    const setup = await daemon.connect();
    await setup.call('create_table', { name: 't', attributes: ['id'] });
    setup.close();
  });

  after(() => cleanup(daemon));

  it('sends sequential calls with the addon once the connection is under way', async () => {
    const sends: Sends = { calls: 0, partial: 0 };
    const client = await clientWith(daemon.socket, countedAddon(sends));
    try {
      for (let i = 0; i < 100; i++) {
        await client.call('put', { table: 't', record: { id: `seq${i}`, n: i } });
        assert.deepEqual(await client.call('get', { table: 't', key: `seq${i}` }), { record: { id: `seq${i}`, n: i } });
      }
      // The first writes go through the stream, so that a one-call CLI never loads the addon.
      assert.ok(sends.calls >= 150, `only ${sends.calls} of 200 requests were sent with the addon`);
      assert.equal(sends.partial, 0);
    } finally {
      client.close();
    }
  });

  it('keeps requests whole and in order when large ones are sent in parts and small ones are pipelined among them', async () => {
    const sends: Sends = { calls: 0, partial: 0 };
    const client = await clientWith(daemon.socket, countedAddon(sends));
    try {
      for (let i = 0; i < 20; i++) await client.call('ping', {});
      const calls: Promise<unknown>[] = [];
      const expected: unknown[] = [];
      for (let round = 0; round < 4; round++) {
        calls.push(client.call('put', { table: 't', record: { id: `big${round}`, body: BIG } }).then(() => 'put'));
        expected.push('put');
        for (let i = 0; i < 20; i++) {
          // A turn apart, each pair is written on its own: while the large request's rest may still be queued.
          await new Promise((resolve) => setImmediate(resolve));
          calls.push(client.call('put', { table: 't', record: { id: `p${round}-${i}`, n: i } }).then(() => 'put'));
          expected.push('put');
          calls.push(client.call('get', { table: 't', key: `p${round}-${i}` }));
          expected.push({ record: { id: `p${round}-${i}`, n: i } });
        }
        // Waiting for the round lets the next one start with nothing queued: with the addon again.
        assert.deepEqual(await Promise.all(calls), expected);
      }
      const big = await client.call('get', { table: 't', key: 'big3' });
      assert.equal((big.record as { body: string }).body, BIG);
      assert.ok(sends.partial > 0, 'no request was sent in part with the addon: the test did not mix the two ways');
    } finally {
      client.close();
    }
  });

  it('works through the stream alone without the addon', async () => {
    const client = await clientWith(daemon.socket, () => ({ missing: 'not built (this test)' }));
    try {
      for (let i = 0; i < 40; i++) {
        await client.call('put', { table: 't', record: { id: `none${i}`, n: i } });
        assert.deepEqual(await client.call('get', { table: 't', key: `none${i}` }), {
          record: { id: `none${i}`, n: i },
        });
      }
    } finally {
      client.close();
    }
  });
});
