import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadNativeAddon } from '../../src/native/addon.js';
import { listenUnix, type SocketIo } from '../../daemon/server/unix-listener.js';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { bounded, countOccurrences, eventually, RawClient, request, waitForLog } from '../protocol/raw-client.js';

const MiB = 1024 * 1024;
const addon = loadNativeAddon();

/**
 * The addon reads the daemon's Unix connections (daemon/server/native-reads.ts): it polls a
 * duplicate of each descriptor, reads each socket once a turn, and enters JavaScript once a turn
 * for all of them, where Node entered once per read of each socket, with a microtask checkpoint
 * after every one. Everything Node's stream did for reads must still happen: the end of a
 * stream and a reset close the connection, a read the endpoint keeps part of is not read over,
 * a client that leaves its answers unread is no longer read, and the daemon stops with
 * connections open.
 */
describe('reads done by the addon', { skip: 'missing' in addon ? addon.missing : false }, () => {
  it('hands the reads of many connections in one turn to JavaScript in one call', async () => {
    // With Node's stream each read was its own callback, and the microtasks queued by one read's handler ran
    // before the next read was handed on; in one call a turn, every connection's read comes before them.
    const home = tempDir();
    const accepted: SocketIo[] = [];
    const sockets: Socket[] = [];
    const clients: Socket[] = [];
    const CLIENTS = 8;
    let allAccepted!: () => void;
    const acceptedAll = new Promise<void>((resolve) => (allAccepted = resolve));
    const listener = await listenUnix(
      join(home.path, 'test.sock'),
      (socket, _credentials, io) => {
        assert.ok(io !== undefined, 'the addon accepted the socket');
        sockets.push(socket);
        accepted.push(io);
        if (accepted.length === CLIENTS) allAccepted();
      },
      { addon: 'missing' in addon ? undefined : addon, onAcceptError: (reason) => assert.fail(reason) },
    );
    try {
      for (let i = 0; i < CLIENTS; i++) {
        const client = connect(join(home.path, 'test.sock'));
        clients.push(client);
        await once(client, 'connect');
      }
      await bounded(acceptedAll, 'every connection to be accepted');
      // Each read queues a microtask; a read handed on after one of them ran came in a call of its own.
      let microtasksRun = 0;
      const seen: { bytes: number; microtasksRun: number }[] = [];
      let everyRead!: () => void;
      const allRead = new Promise<void>((resolve) => (everyRead = resolve));
      for (const io of accepted) {
        io.reads.attach({
          receive: (chunk) => {
            seen.push({ bytes: chunk.length, microtasksRun });
            queueMicrotask(() => microtasksRun++);
            if (seen.length === CLIENTS) everyRead();
          },
          holdsInput: () => false,
        });
      }
      // Written in one synchronous stretch: every socket is readable at the daemon's next poll.
      for (const client of clients) client.write('ping');
      await bounded(allRead, 'a read of every connection');
      assert.deepEqual(
        seen,
        clients.map(() => ({ bytes: 4, microtasksRun: 0 })),
      );
    } finally {
      for (const client of clients) client.destroy();
      for (const socket of sockets) socket.destroy();
      await listener.close();
      home.remove();
    }
  });

  describe('a daemon serving many connections', () => {
    let daemon: DaemonHandle;
    let observer: Client;
    const config = { high_water_bytes: 64 * 1024, max_output_bytes: 4 * MiB, stall_timeout_ms: 1500 };

    before(async () => {
      daemon = await startDaemon({ config });
      observer = await daemon.connect();
      await observer.call('create_table', { name: 'r', attributes: ['id'] });
      for (let i = 0; i < 100; i++) await observer.call('put', { table: 'r', record: { id: `k${i}`, n: i } });
      await observer.call('put', { table: 'r', record: { id: 'wide', pad: 'w'.repeat(150_000) } });
      await observer.call('put', { table: 'r', record: { id: 'mid', pad: 'm'.repeat(200) } });
    });

    after(async () => {
      observer?.close();
      await cleanup(daemon);
    });

    async function connections(): Promise<number> {
      return (await observer.call('status', {})).connections;
    }

    it('answers every request of 64 connections that send at once, each its own answers', async () => {
      const raws = await Promise.all(Array.from({ length: 64 }, () => RawClient.open(daemon.socket)));
      try {
        for (const [c, raw] of raws.entries()) {
          const requests = Array.from({ length: 50 }, (_, i) =>
            request(i + 1, 'get', { table: 'r', key: `k${(c + i) % 100}` }),
          );
          raw.send(Buffer.concat(requests));
        }
        for (const [c, raw] of raws.entries()) {
          for (let i = 0; i < 50; i++) {
            const response = await raw.response(i + 1);
            assert.equal(response.error, null);
            assert.deepEqual(response.result, { record: { id: `k${(c + i) % 100}`, n: (c + i) % 100 } });
          }
        }
      } finally {
        for (const raw of raws) raw.destroy();
      }
    });

    it('closes a connection whose client goes away in the middle of a request, and serves the others', async () => {
      // The observer's alone, once the daemon has closed those of the test before.
      const baseline = 1;
      await eventually(async () => (await connections()) === baseline, 'the earlier connections to close');
      const cut = request(1, 'put', { table: 'r', record: { id: 'cut', pad: 'z'.repeat(100_000) } });
      const ended = await RawClient.open(daemon.socket);
      const reset = await RawClient.open(daemon.socket);
      await eventually(async () => (await connections()) === baseline + 2, 'both connections to be counted');
      // One ends its half of the stream in the middle of a request (the daemon reads its end). The other
      // closes with most of a 150 KB answer unread in its socket: the daemon's next read of it fails (a reset).
      ended.send(cut.subarray(0, 50_000));
      ended.end();
      reset.socket.once('data', () => reset.destroy());
      reset.sendRequest(2, 'get', { table: 'r', key: 'wide' });
      await ended.waitClose();
      await eventually(async () => (await connections()) === baseline, 'the daemon to close both connections');
      assert.deepEqual(await observer.call('get', { table: 'r', key: 'cut' }), { record: null });
    });

    it('takes a 3 MB request that arrives in pieces', async () => {
      const raw = await RawClient.open(daemon.socket);
      try {
        const pad = 'p'.repeat(3 * MiB);
        const bytes = request(1, 'put', { table: 'r', record: { id: 'big', pad } });
        for (let at = 0; at < bytes.length; at += 100_000) {
          raw.send(bytes.subarray(at, at + 100_000));
          // Each piece reaches the daemon on its own: the next is written once this one has left.
          if (raw.socket.writableLength > 0) await once(raw.socket, 'drain');
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        assert.deepEqual((await raw.response(1)).result, { ok: true });
        const got = await raw.call(2, 'get', { table: 'r', key: 'big' });
        assert.equal((got.result as { record: { pad: string } }).record.pad, pad);
      } finally {
        raw.destroy();
      }
    });

    it('stops reading a client that leaves its answers unread, until it is dropped for the stall', async () => {
      // 100,000 gets (4 MB of requests, 23 MB of answers) from a client that reads nothing. Read on, the
      // daemon would queue answers past max_output_bytes (4 MiB) and drop the client for that; paused at
      // high_water_bytes, it reads no more requests and drops the client only for the stall.
      const stalls = countOccurrences(daemon.stderr(), 'left its answers unread for 1500 ms');
      const overflows = countOccurrences(daemon.stderr(), 'bytes of answers unread');
      const raw = await RawClient.open(daemon.socket);
      try {
        raw.socket.pause();
        const gets = Array.from({ length: 100_000 }, (_, i) => request(i + 1, 'get', { table: 'r', key: 'mid' }));
        raw.send(Buffer.concat(gets));
        await waitForLog(daemon, 'left its answers unread for 1500 ms', stalls);
        assert.equal(countOccurrences(daemon.stderr(), 'bytes of answers unread'), overflows);
        raw.socket.resume();
        await raw.waitClose();
        assert.ok(raw.bytesReceived < 4 * MiB, `it received ${raw.bytesReceived} bytes`);
      } finally {
        raw.destroy();
      }
      assert.deepEqual(await observer.call('get', { table: 'r', key: 'k1' }), { record: { id: 'k1', n: 1 } });
    });
  });

  it('stops with connections open, one of them in the middle of a request', async () => {
    const daemon = await startDaemon();
    try {
      const raws = await Promise.all(Array.from({ length: 20 }, () => RawClient.open(daemon.socket)));
      await raws[0]!.ok(1, 'ping', {});
      raws[1]!.send(request(1, 'ping', {}).subarray(0, 3));
      assert.equal(await daemon.stop(), 0);
      await Promise.all(raws.map((raw) => raw.waitClose()));
    } finally {
      await cleanup(daemon);
    }
  });
});
