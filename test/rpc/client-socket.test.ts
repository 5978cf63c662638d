import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../src/client/client.js';
import { AddonReads } from '../../src/native/addon-reads.js';
import { ClientSocket } from '../../src/client/client-socket.js';
import { CortexError } from '../../src/protocol/errors.js';
import { loadNativeAddon, type NativeAddon } from '../../src/native/addon.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';

/** Well past the endpoint's 1 MB high-water mark: an answer carrying it makes the client pause its reads. */
const BIG = 'z'.repeat(3 * 1024 * 1024);

/** What the addon did for the clients of one test: sockets started, and reads handed over. */
interface Counts {
  started: number;
  pauses: number;
}

/** The real addon, its readStart and readPause counted. */
function countedReads(counts: Counts): AddonReads {
  const addon = loadNativeAddon();
  if ('missing' in addon) throw new Error(`the addon is not built: ${addon.missing}`);
  const readStart: NativeAddon['readStart'] = (reader, fd, slot, buffer) => {
    counts.started++;
    return addon.readStart(reader, fd, slot, buffer);
  };
  const readPause: NativeAddon['readPause'] = (read, paused) => {
    if (paused) counts.pauses++;
    addon.readPause(read, paused);
  };
  // The addon's functions are read-only and not enumerable: the counted ones are laid over it, the rest found through it.
  const counted = Object.create(addon, {
    readStart: { value: readStart },
    readPause: { value: readPause },
  }) as NativeAddon;
  return new AddonReads(counted);
}

/** A client of `path` as connectUnix makes it, its socket's reads joining `reads` (none: the stream reads). */
async function clientWith(path: string, reads: AddonReads | null): Promise<{ client: Client; socket: ClientSocket }> {
  const socket = ClientSocket.connect(path, () => reads);
  const client = new Client(socket, { openOn: 'connect', reads: socket.reads });
  await client.opened;
  return { client, socket };
}

/** Calls enough for the addon to take a connection's reads over (Node's stream reads the first few). */
async function warmUp(client: Client): Promise<void> {
  for (let i = 0; i < 40; i++) await client.call('ping', {});
}

/**
 * After a connection's first reads, the addon reads the client's Unix socket, with
 * the process's other client sockets, in one call into JavaScript a turn. What the
 * client does for its user must not change: answers whole and in order (one read
 * may hold many, one answer may take many reads), the client pausing its reads
 * while it holds a large answer it has not handed on, and the connection's end
 * (the daemon gone) failing the calls still waiting. Node's stream no longer
 * reads the socket then, so nothing but the addon can tell the client the end.
 */
describe("a client's socket read by the addon", () => {
  let daemon: DaemonHandle;

  before(async () => {
    daemon = await startDaemon();
    const setup = await daemon.connect();
    await setup.call('create_table', { name: 't', attributes: ['id'] });
    await setup.call('put', { table: 't', record: { id: 'big', body: BIG } });
    setup.close();
  });

  after(() => cleanup(daemon));

  it('answers sequential and pipelined calls of many clients once the addon reads them', async () => {
    const counts: Counts = { started: 0, pauses: 0 };
    const reads = countedReads(counts);
    const clients = await Promise.all(Array.from({ length: 8 }, () => clientWith(daemon.socket, reads)));
    try {
      await Promise.all(clients.map(({ client }) => warmUp(client)));
      assert.equal(counts.started, 8);
      assert.ok(clients.every(({ socket }) => socket.readByAddon));
      await Promise.all(
        clients.map(async ({ client }, c) => {
          for (let i = 0; i < 30; i++) {
            await client.call('put', { table: 't', record: { id: `c${c}-${i}`, n: i } });
            assert.deepEqual(await client.call('get', { table: 't', key: `c${c}-${i}` }), {
              record: { id: `c${c}-${i}`, n: i },
            });
          }
          const keys = Array.from({ length: 200 }, (_, i) => `c${c}-${i % 30}`);
          const answers = await Promise.all(keys.map((key) => client.call('get', { table: 't', key })));
          assert.deepEqual(
            answers.map((answer) => (answer.record as { id: string }).id),
            keys,
          );
        }),
      );
    } finally {
      for (const { client } of clients) client.close();
    }
  });

  it('takes answers that span many reads, and pauses and resumes its reads through the addon', async () => {
    const counts: Counts = { started: 0, pauses: 0 };
    const { client, socket } = await clientWith(daemon.socket, countedReads(counts));
    try {
      await warmUp(client);
      assert.ok(socket.readByAddon);
      for (let round = 0; round < 3; round++) {
        const big = client.call('get', { table: 't', key: 'big' });
        const small = Array.from({ length: 50 }, () => client.call('ping', {}));
        assert.equal(((await big).record as { body: string }).body, BIG);
        assert.equal((await Promise.all(small)).length, 50);
      }
      const pausesBefore = counts.pauses;
      socket.pause();
      assert.equal(counts.pauses, pausesBefore + 1);
      const answer = client.call('ping', {});
      socket.resume();
      assert.deepEqual(await answer, { pong: true });
      // Node's stream must not read the descriptor beside the addon after the resume.
      assert.equal((socket as unknown as { _handle: { reading: boolean } })._handle.reading, false);
    } finally {
      client.close();
    }
  });

  it('fails the waiting calls with ECLOSED when the daemon goes', async () => {
    const other = await startDaemon();
    try {
      const { client, socket } = await clientWith(other.socket, countedReads({ started: 0, pauses: 0 }));
      await warmUp(client);
      assert.ok(socket.readByAddon);
      const closed = new Promise<void>((resolve) => client.onClose(resolve));
      // Stopped, the daemon cannot answer the call before it is killed: the call is still waiting at the end.
      other.process.kill('SIGSTOP');
      const failed = client.call('ping', {}).then(
        () => assert.fail('the stopped daemon answered'),
        (error: unknown) => error,
      );
      await other.kill();
      await closed;
      const error = await failed;
      assert.ok(error instanceof CortexError && error.code === 'ECLOSED', String(error));
      assert.equal(client.failure?.code, 'ECLOSED');
    } finally {
      await cleanup(other);
    }
  });

  it('reads through the stream alone without the addon', async () => {
    const { client, socket } = await clientWith(daemon.socket, null);
    try {
      await warmUp(client);
      assert.equal(socket.readByAddon, false);
      assert.equal(((await client.call('get', { table: 't', key: 'big' })).record as { body: string }).body, BIG);
    } finally {
      client.close();
    }
  });
});
