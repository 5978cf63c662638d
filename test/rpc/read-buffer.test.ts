import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { Endpoint, type EndpointOptions } from '../../src/rpc/endpoint.js';
import { ReadBuffer } from '../../src/rpc/read-buffer.js';
import { bounded, eventually } from '../protocol/raw-client.js';
import { rawPeers } from '../helpers/raw-peers.js';

/** Requests from..to, each carrying its own number and a string made from it, back to back in one buffer. */
function requests(from: number, to: number): Buffer {
  const messages: Buffer[] = [];
  for (let n = from; n <= to; n++) messages.push(encode([0, n, 'echo', { n, text: `request ${n}` }]));
  return Buffer.concat(messages);
}

/** Whether a request's params are the ones `requests` sent with msgid `id`: bytes read over would not be. */
function intact(id: number, params: MsgValue): boolean {
  const { n, text } = params as { n?: unknown; text?: unknown };
  return n === id && text === `request ${id}`;
}

/**
 * An endpoint whose socket reads into one reused buffer (what the daemon's Unix
 * connections and connectUnix use), over a real Unix socket, against a raw peer.
 */
describe('Endpoint reading into a ReadBuffer', () => {
  const { path, nextPeer } = rawPeers('cortex-read-buffer-');

  async function pair(
    options: Partial<EndpointOptions>,
  ): Promise<{ endpoint: Endpoint; socket: Socket; peer: Socket }> {
    const peer = nextPeer();
    const reads = new ReadBuffer();
    const socket = connect({ path, onread: reads.onread });
    const endpoint = new Endpoint(socket, { remote: 'the test peer', openOn: 'connect', reads, ...options });
    await endpoint.opened;
    return { endpoint, socket, peer: await peer };
  }

  /** Handles `count` requests, checking each one's params, and resolves with the msgids in the order handled. */
  function handling(count: number): { handler: EndpointOptions['handler']; done: Promise<number[]>; torn: number[] } {
    const order: number[] = [];
    const torn: number[] = [];
    let finish!: (ids: number[]) => void;
    const done = new Promise<number[]>((resolve) => (finish = resolve));
    return {
      handler: {
        request: (id, _method, params) => {
          if (!intact(id, params)) torn.push(id);
          if (order.push(id) === count) finish(order);
        },
        invalid: (error) => assert.fail(`a request could not be read: ${error.message}`),
      },
      done,
      torn,
    };
  }

  it('hands on every request intact when later reads arrive while a long read is handed on in slices', async () => {
    // About 200 KB in one write: several full reads of 64 KiB, the later ones arriving while the
    // first is still being handed on eight requests a turn. Were they read into the same buffer,
    // the requests not yet handed on would be overwritten.
    const count = 8000;
    const { handler, done, torn } = handling(count);
    const { endpoint, peer } = await pair({ sliceMessages: 8, makesCalls: false, handler });
    const payload = requests(1, count);
    assert.ok(payload.length > 3 * 64 * 1024, `the payload is ${payload.length} bytes`);
    peer.write(payload);
    const order = await bounded(done, `the ${count} requests`);
    assert.deepEqual(torn, [], 'requests whose bytes were overwritten before they were handed on');
    assert.deepEqual(
      order,
      Array.from({ length: count }, (_, i) => i + 1),
    );
    assert.ok(endpoint.readCount >= 4, `only ${endpoint.readCount} reads`);
    endpoint.close();
  });

  it('gathers a message split across reads of the reused buffer', async () => {
    const { handler, done, torn } = handling(3);
    const { endpoint, peer } = await pair({ makesCalls: false, handler });
    const payload = requests(1, 3);
    // Each write is its own read: the second request arrives in three pieces, each over the last.
    const cuts = [0, 25, 30, 37, payload.length];
    for (let i = 1; i < cuts.length; i++) {
      peer.write(payload.subarray(cuts[i - 1], cuts[i]));
      // A read makes no event of its own to wait on: the endpoint's count of them is polled.
      await eventually(() => Promise.resolve(endpoint.readCount === i), `read ${i}`);
    }
    assert.deepEqual(await bounded(done, 'the 3 requests'), [1, 2, 3]);
    assert.deepEqual(torn, []);
    assert.ok(endpoint.readCount >= 3, `only ${endpoint.readCount} reads`);
    endpoint.close();
  });

  it('stops reading while more than its high water mark waits for a slice, then reads on', async () => {
    let pausedWhileHandling = false;
    const count = 4000;
    const { handler, done, torn } = handling(count);
    const { endpoint, socket, peer } = await pair({
      sliceMessages: 1,
      highWaterBytes: 1024,
      makesCalls: false,
      handler: {
        ...handler,
        request: (id, method, params) => {
          pausedWhileHandling ||= socket.isPaused();
          handler!.request!(id, method, params);
        },
      },
    });
    peer.write(requests(1, count / 2));
    peer.write(requests(count / 2 + 1, count));
    await bounded(done, `the ${count} requests`);
    assert.deepEqual(torn, []);
    assert.ok(pausedWhileHandling, 'the endpoint kept reading with more than its high water mark waiting');
    assert.equal(socket.isPaused(), false);
    endpoint.close();
  });

  it('settles calls from answers read in place, and fails what is pending with ECLOSED when the other side goes', async () => {
    const { endpoint, peer } = await pair({});
    peer.on('data', (chunk: Buffer) => {
      // Both requests arrive in one write: answer the first with a record, then leave.
      assert.ok(chunk.length > 0);
      peer.end(encode([1, 1, null, { record: { id: 'u1', name: 'Ada' } }]));
    });
    const first = endpoint.request('get', { table: 'users', key: 'u1' });
    const second = endpoint.request('get', { table: 'users', key: 'u2' });
    assert.deepEqual(await first, { record: { id: 'u1', name: 'Ada' } });
    await assert.rejects(second, (error: unknown) => error instanceof CortexError && error.code === 'ECLOSED');
    assert.equal(endpoint.state, 'closed');
  });

  /**
   * Answers of one kind are the same size, so a sequential caller's reads usually are too: the view of
   * the last read is handed on again instead of a new one per read (a typed array made, and the
   * decoder's check of its memory). A read that a receiver still holds part of must never be read over.
   */
  it('hands on the same view for reads of the same length, and a new buffer while the last read is held', async () => {
    const peer = nextPeer();
    const reads = new ReadBuffer();
    const seen: { chunk: Buffer; text: string }[] = [];
    let held = false;
    let arrived: (() => void) | undefined;
    reads.attach({
      receive: (chunk) => {
        seen.push({ chunk, text: chunk.toString() });
        arrived?.();
      },
      holdsInput: () => held,
    });
    const socket = connect({ path, onread: reads.onread });
    const other = await peer;
    const readOf = async (text: string): Promise<Buffer> => {
      const next = new Promise<void>((resolve) => (arrived = resolve));
      other.write(text);
      await bounded(next, `the read of ${text}`);
      assert.equal(seen.at(-1)!.text, text);
      return seen.at(-1)!.chunk;
    };
    const first = await readOf('aaaa');
    assert.ok((await readOf('bbbb')) === first, 'a read of the same length got a new view');
    const longer = await readOf('cccccc');
    assert.ok(longer !== first, 'a read of another length got the view of the last one');
    // The receiver keeps part of this read: the next read must go elsewhere.
    held = true;
    assert.ok((await readOf('dddddd')) === longer, 'a read of the same length got a new view');
    const afterHeld = await readOf('eeeeee');
    assert.ok(afterHeld.buffer !== longer.buffer, 'a read went into the buffer of a read still held');
    assert.equal(longer.toString(), 'dddddd');
    socket.destroy();
    other.destroy();
  });
});
