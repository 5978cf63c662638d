import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import { encodedNotification } from '../../src/protocol/messages.js';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { Endpoint, type EndpointOptions } from '../../src/rpc/endpoint.js';
import { FrameReader } from '../../src/rpc/frame-reader.js';
import { bounded } from '../protocol/raw-client.js';
import { rawPeers } from '../helpers/raw-peers.js';

/** Counts the writes made on a socket (the endpoint's output batching is what is measured). */
function countWrites(socket: Socket): { count: number } {
  const counter = { count: 0 };
  const original = socket.write.bind(socket);
  socket.write = ((...args: Parameters<Socket['write']>) => {
    counter.count++;
    return original(...args);
  }) as Socket['write'];
  return counter;
}

/** Every message the raw socket receives, decoded, in order of arrival. */
function received(socket: Socket): MsgValue[] {
  const messages: MsgValue[] = [];
  const reader = new FrameReader(64, Infinity, {
    frame: (buf, start, end) => messages.push(decode(buf.subarray(start, end))),
    oversized: () => assert.fail('nothing is oversized'),
    reading: true,
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  return messages;
}

/** Resolves once `messages` (filled by received(socket)) holds `count`. */
function untilReceived(socket: Socket, messages: MsgValue[], count: number): Promise<void> {
  return bounded(
    new Promise<void>((resolve) => socket.on('data', () => messages.length >= count && resolve())),
    `the ${count} answers`,
  );
}

/** Requests 1..count, back to back in one buffer (one write, so one read at the other end). */
function requests(count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, i) => encode([0, i + 1, 'echo', { n: i + 1 }])));
}

async function rejectsWith(call: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof CortexError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

/**
 * The endpoint over real Unix sockets, against a raw peer the test drives: what
 * the client, the daemon's connections and the mesh's links all rely on.
 */
describe('Endpoint', () => {
  const { path, dir, nextPeer } = rawPeers('cortex-endpoint-');

  /** An endpoint on a fresh connection (connecting, then open), and the raw socket at the other end. */
  async function pair(
    options: Partial<EndpointOptions> = {},
  ): Promise<{ endpoint: Endpoint; socket: Socket; peer: Socket }> {
    const peer = nextPeer();
    const socket = connect(path);
    const endpoint = new Endpoint(socket, { remote: 'the test peer', openOn: 'connect', ...options });
    assert.equal(endpoint.state, 'connecting');
    await endpoint.opened;
    assert.equal(endpoint.state, 'open');
    return { endpoint, socket, peer: await peer };
  }

  it('sends every call made in one turn in one write, and matches answers by msgid in any order', async () => {
    const { endpoint, socket, peer } = await pair();
    const writes = countWrites(socket);
    const calls = [endpoint.request('a', {}), endpoint.request('b', {}), endpoint.request('c', {})];
    await once(peer, 'data');
    assert.equal(writes.count, 1, `three calls took ${writes.count} writes`);
    peer.write(Buffer.concat([encode([1, 3, null, 'c']), encode([1, 1, null, 'a']), encode([1, 2, null, 'b'])]));
    assert.deepEqual(await Promise.all(calls), ['a', 'b', 'c']);
    endpoint.close();
  });

  it('fails a call at its deadline with ETIMEDOUT, drops its late answer, and keeps working', async () => {
    const { endpoint, peer } = await pair({ callTimeoutMs: 50 });
    await rejectsWith(endpoint.request('slow', {}), 'ETIMEDOUT', /No answer from the test peer to slow within 50 ms/);
    const next = endpoint.request('next', {}, 0);
    peer.write(Buffer.concat([encode([1, 1, null, 'too late']), encode([1, 2, null, 'in time'])]));
    assert.equal(await next, 'in time');
    endpoint.close();
  });

  it('turns an error answer into a CortexError with its code', async () => {
    const { endpoint, peer } = await pair();
    const call = endpoint.request('x', {});
    peer.write(encode([1, 1, { code: 'ENOTFOUND', message: 'No such thing.' }, null]));
    await rejectsWith(call, 'ENOTFOUND', /^No such thing\.$/);
    endpoint.close();
  });

  it('rejects every pending call with ECLOSED when the other side goes away, and tells its handler once', async () => {
    const reasons: string[] = [];
    const { endpoint, peer } = await pair({ handler: { closed: (reason) => reasons.push(reason) } });
    const calls = [endpoint.request('a', {}), endpoint.request('b', {})];
    await once(peer, 'data');
    peer.destroy();
    for (const call of calls) await rejectsWith(call, 'ECLOSED', /The connection to the test peer closed/);
    assert.equal(endpoint.state, 'closed');
    assert.deepEqual(reasons, ['The connection to the test peer closed.']);
    await rejectsWith(endpoint.request('c', {}), 'ECLOSED', /is closed/);
  });

  it('closes on bytes that are not MessagePack when it has no invalid hook, failing what was pending', async () => {
    const { endpoint, peer } = await pair();
    const call = endpoint.request('a', {});
    peer.write(Buffer.from([0xc1]));
    await rejectsWith(call, 'ECLOSED', /not msgpack-rpc \(0xc1 is not a MessagePack type byte\.\)/);
  });

  it('refuses an oversized message to its hook with the msgid, skips it in sync, and goes on', async () => {
    const refused: [string, number | undefined, boolean][] = [];
    let refusal!: () => void;
    let request!: (call: [number, string]) => void;
    const refusedOnce = new Promise<void>((resolve) => (refusal = resolve));
    const requested = new Promise<[number, string]>((resolve) => (request = resolve));
    const { endpoint, peer } = await pair({
      maxMessageBytes: 1000,
      handler: {
        invalid: (error, id, fatal) => {
          refused.push([error.code, id, fatal]);
          refusal();
        },
        request: (id, method) => request([id, method]),
      },
    });
    const big = encode([0, 7, 'put', { pad: 'x'.repeat(5000) }]);
    // Over the limit in its first piece; the rest, and a small request right behind it, later.
    peer.write(big.subarray(0, 1500));
    await bounded(refusedOnce, 'the refusal');
    peer.write(Buffer.concat([big.subarray(1500), encode([0, 8, 'ping', {}])]));
    assert.deepEqual(await bounded(requested, 'the request after it'), [8, 'ping']);
    assert.deepEqual(refused, [['ETOOBIG', 7, false]]);
    endpoint.close();
  });

  it('is congested past its high water mark while the other side does not read, and says when it drained', async () => {
    const { endpoint, peer } = await pair({ highWaterBytes: 64 * 1024 });
    peer.pause();
    const chunk = 'y'.repeat(16 * 1024);
    // The kernel takes some first; past that the output waits here. Bounded: 64 MiB at most.
    for (let sent = 0; !endpoint.congested && sent < 4096; sent++) {
      endpoint.notify('fill', { chunk });
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(endpoint.congested);
    const drained = new Promise<void>((resolve) => endpoint.onDrain(resolve));
    peer.resume();
    await bounded(drained, 'drain');
    assert.equal(endpoint.congested, false);
    endpoint.close();
  });

  it('hands a large read on in slices: the first answers leave before the last request is handled, in order', async () => {
    let answersAtLast = -1;
    const { endpoint, peer } = await pair({
      sliceMessages: 8,
      makesCalls: false,
      handler: {
        request: (id) => {
          if (id === 64) answersAtLast = answers.length;
          endpoint.respond(id, null, id);
        },
      },
    });
    const answers = received(peer);
    const all = untilReceived(peer, answers, 64);
    peer.write(requests(64));
    await all;
    assert.ok(answersAtLast > 0, 'no answer had reached the other side when the last request was handled');
    assert.deepEqual(
      answers,
      Array.from({ length: 64 }, (_, i) => [1, i + 1, null, i + 1]),
    );
    endpoint.close();
  });

  it("lets a slice's asynchronous answers leave before the next slice is handled", async () => {
    const writtenAtSliceStart: number[] = [];
    const batch: number[] = [];
    const { endpoint, socket, peer } = await pair({
      sliceMessages: 8,
      makesCalls: false,
      handler: {
        // Answered a turn later, all together, as puts are once their group commit ran.
        request: (id) => {
          if (id % 8 === 1) writtenAtSliceStart.push(socket.bytesWritten);
          if (batch.push(id) === 1) setImmediate(() => batch.splice(0).forEach((n) => endpoint.respond(n, null, n)));
        },
      },
    });
    const answers = received(peer);
    const all = untilReceived(peer, answers, 32);
    peer.write(requests(32));
    await all;
    // An answer [1, n, nil, n] is 5 bytes: each slice of 8 starts once every earlier slice's answers were written.
    assert.deepEqual(writtenAtSliceStart, [0, 40, 80, 120]);
    assert.deepEqual(
      answers.map((answer) => (answer as number[])[1]),
      Array.from({ length: 32 }, (_, i) => i + 1),
    );
    endpoint.close();
  });

  it('refuses garbage met in a later slice by the msgid it started with, after answering every request before it', async () => {
    const events: string[] = [];
    let refused!: () => void;
    const refusal = new Promise<void>((resolve) => (refused = resolve));
    const { endpoint, peer } = await pair({
      sliceMessages: 4,
      makesCalls: false,
      handler: {
        request: (id) => events.push(`request ${id}`),
        invalid: (error, id, fatal) => {
          events.push(`${error.code} ${id} ${fatal}`);
          refused();
        },
      },
    });
    // Request 11 is cut short by a byte that is no MessagePack type: the stream cannot be resynchronised.
    peer.write(Buffer.concat([requests(10), Buffer.from([0x94, 0x00, 0x0b, 0xc1])]));
    await bounded(refusal, 'the refusal');
    assert.deepEqual(events, [...Array.from({ length: 10 }, (_, i) => `request ${i + 1}`), 'EPROTO 11 true']);
    assert.equal(endpoint.state, 'closed');
  });

  it('stops reading while more than its high water mark of what it read waits for a slice, then reads on', async () => {
    let pausedWhileHandling = false;
    let handled = 0;
    let done!: () => void;
    const allHandled = new Promise<void>((resolve) => (done = resolve));
    const { endpoint, socket, peer } = await pair({
      sliceMessages: 1,
      highWaterBytes: 1024,
      makesCalls: false,
      handler: {
        request: (id) => {
          pausedWhileHandling ||= socket.isPaused();
          endpoint.respond(id, null, id);
          if (++handled === 400) done();
        },
      },
    });
    peer.write(requests(200));
    peer.write(requests(200));
    await bounded(allHandled, 'the 400 requests');
    assert.ok(pausedWhileHandling, 'the endpoint kept reading with more than its high water mark waiting');
    assert.equal(socket.isPaused(), false);
    endpoint.close();
  });

  it('writes a notification encoded once to every endpoint as the bytes notify would have sent, in the same write', async () => {
    const params = { session: 's1', seq: 7, payload: { text: 'hi' } };
    const shared = encodedNotification('event', params);
    const pairs = [await pair(), await pair()];
    for (const { endpoint, socket, peer } of pairs) {
      const writes = countWrites(socket);
      endpoint.notify('before', { n: 1 });
      endpoint.notifyEncoded(shared);
      const [received] = (await once(peer, 'data')) as [Buffer];
      assert.equal(writes.count, 1);
      assert.deepEqual(received, Buffer.concat([encode([2, 'before', { n: 1 }]), encode([2, 'event', params])]));
      endpoint.close();
    }
  });

  it('leaves nothing of a notification that could not be encoded in the next one encoded once', () => {
    assert.throws(() => encodedNotification('event', { f: () => 1 }), /type function cannot be sent/);
    assert.deepEqual(Buffer.from(encodedNotification('event', { a: 1 }).bytes), encode([2, 'event', { a: 1 }]));
  });

  it('rejects `opened` with the stream error when nothing listens', async () => {
    const endpoint = new Endpoint(connect(join(dir, 'none.sock')), { remote: 'nobody', openOn: 'connect' });
    await assert.rejects(endpoint.opened, (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
    assert.equal(endpoint.state, 'closed');
  });
});

describe('FrameReader', () => {
  it('cuts messages split at every byte, and many in one chunk, each handed on once and whole', () => {
    const messages = [encode([0, 1, 'a', { k: 'v'.repeat(300) }]), encode([2, 'n', [1, 2, 3]]), encode('x')];
    const all = Buffer.concat(messages);
    for (const chunking of ['byte by byte', 'all at once']) {
      const got: Buffer[] = [];
      const reader = new FrameReader(64, Infinity, {
        frame: (buf, start, end) => got.push(Buffer.from(buf.subarray(start, end))),
        oversized: () => assert.fail('nothing is oversized'),
        reading: true,
      });
      if (chunking === 'all at once') reader.push(all);
      else for (let at = 0; at < all.length; at++) reader.push(all.subarray(at, at + 1));
      assert.deepEqual(got, messages, chunking);
    }
  });

  it('hands on at most `limit` messages a call, and a read taken meanwhile waits behind the rest, in order', () => {
    const got: number[] = [];
    const reader = new FrameReader(64, Infinity, {
      frame: (buf, start, end) => got.push(decode(buf.subarray(start, end)) as number),
      oversized: () => assert.fail('nothing is oversized'),
      reading: true,
    });
    const messages = (from: number, to: number) =>
      Buffer.concat(Array.from({ length: to - from }, (_, i) => encode(from + i)));
    const first = Buffer.concat([messages(0, 5), encode('split me').subarray(0, 3)]);
    assert.equal(reader.push(first, 2), false);
    assert.deepEqual(got, [0, 1]);
    assert.equal(reader.heldBytes, first.length - 2);
    const second = Buffer.concat([encode('split me').subarray(3), messages(5, 7)]);
    assert.equal(reader.push(second, 2), false, 'a read taken while another is held hands nothing on');
    assert.deepEqual(got, [0, 1]);
    assert.equal(reader.handOn(2), false);
    assert.deepEqual(got, [0, 1, 2, 3]);
    assert.equal(reader.handOn(10), true);
    assert.deepEqual(got, [0, 1, 2, 3, 4, 'split me', 5, 6] as unknown[]);
    assert.equal(reader.heldBytes, 0);
  });

  it('reports an oversized message once, with its first bytes, and hands on the next', () => {
    const big = encode([0, 9, 'put', 'z'.repeat(2000)]);
    const small = encode([0, 10, 'ping', {}]);
    const oversized: Buffer[] = [];
    const frames: Buffer[] = [];
    const reader = new FrameReader(64, 500, {
      frame: (buf, start, end) => frames.push(Buffer.from(buf.subarray(start, end))),
      oversized: (start) => oversized.push(Buffer.from(start)),
      reading: true,
    });
    const stream = Buffer.concat([big, small]);
    for (let at = 0; at < stream.length; at += 300) reader.push(stream.subarray(at, at + 300));
    assert.equal(oversized.length, 1);
    assert.deepEqual([...oversized[0]!.subarray(0, 3)], [0x94, 0x00, 0x09]);
    assert.deepEqual(frames, [small]);
  });
});
