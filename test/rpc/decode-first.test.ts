import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { CortexError } from '../../src/protocol/errors.js';
import { Decoder } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { connectUnix } from '../../src/client/client.js';
import { Endpoint } from '../../src/rpc/endpoint.js';
import { FrameReader } from '../../src/rpc/frame-reader.js';
import { bounded } from '../protocol/raw-client.js';
import { rawPeers } from '../helpers/raw-peers.js';

/** What a decoding sink was handed: all in order, those decoded before their end was known, after a scan, ... */
interface Handed {
  all: MsgValue[];
  first: MsgValue[];
  scanned: MsgValue[];
  refused: string[];
  oversized: number;
}

/** A FrameReader whose sink decodes first, as the endpoint does, recording which way each message came. */
function decodingReader(maxMessageBytes = Infinity, maxDepth = 64): { reader: FrameReader; handed: Handed } {
  const decoder = new Decoder(maxDepth);
  const handed: Handed = { all: [], first: [], scanned: [], refused: [], oversized: 0 };
  const reader = new FrameReader(maxDepth, maxMessageBytes, {
    frameAt(buf, start, limit) {
      let value: MsgValue;
      try {
        value = decoder.decode(buf, start, limit, false);
      } catch {
        return -1;
      }
      handed.first.push(value);
      handed.all.push(value);
      return decoder.valueEnd;
    },
    frame(buf, start, end) {
      try {
        const value = decoder.decode(buf, start, end);
        handed.scanned.push(value);
        handed.all.push(value);
      } catch (error) {
        handed.refused.push(error instanceof CortexError ? error.code : String(error));
      }
    },
    oversized: () => handed.oversized++,
    reading: true,
  });
  return { reader, handed };
}

const event = (seq: number) =>
  encode([2, 'event', { seq, type: 'agent_message', payload: { text: `message ${seq}` } }]);
const seqOf = (message: MsgValue) => ((message as MsgValue[])[2] as { seq: number }).seq;

function throwsProtocolError(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof CortexError, String(error));
    assert.equal(error.code, 'EPROTO');
    assert.match(error.message, message);
    return true;
  });
}

describe('Decoder not given the end of the value', () => {
  it('decodes a value followed by more bytes and says where it ended', () => {
    const decoder = new Decoder();
    const bytes = Buffer.concat([event(1), event(2)]);
    assert.equal(seqOf(decoder.decode(bytes, 0, bytes.length, false)), 1);
    assert.equal(decoder.valueEnd, event(1).length);
    throwsProtocolError(() => decoder.decode(bytes, 0, bytes.length), /unexpected bytes follow/);
  });

  it('fails with EPROTO on a value cut short, whether given its end or not', () => {
    const decoder = new Decoder();
    const cut = event(1).subarray(0, 20);
    throwsProtocolError(() => decoder.decode(cut, 0, cut.length, false), /runs past the end/);
    throwsProtocolError(() => decoder.decode(cut), /ends in the middle of a value/);
    throwsProtocolError(() => decoder.decodeNotification(cut, 0, cut.length, false), /runs past the end/);
    const claims = Buffer.from([0x93, 0x02, 0xa1, 0x78, 0xdc, 0xff, 0xff]);
    throwsProtocolError(() => decoder.decode(claims, 0, claims.length, false), /runs past the end/);
    throwsProtocolError(() => decoder.decode(claims), /claims more items than the message holds/);
  });
});

describe('FrameReader with a sink that decodes first', () => {
  it('decodes each whole message of a read once, unscanned, and scans only the one cut by the end of a read', () => {
    const stream = Buffer.concat([1, 2, 3, 4].map(event));
    for (let cut = 1; cut < stream.length; cut++) {
      const { reader, handed } = decodingReader();
      assert.equal(reader.push(stream.subarray(0, cut)), true);
      assert.equal(reader.push(stream.subarray(cut)), true);
      assert.deepEqual(handed.all.map(seqOf), [1, 2, 3, 4], `cut at ${cut}: each message once, in order`);
      // A cut between two messages leaves none to scan; a cut inside one leaves exactly that one.
      const between = [0, ...[1, 2, 3, 4].map((n) => Buffer.concat([1, 2, 3, 4].slice(0, n).map(event)).length)];
      assert.equal(handed.scanned.length, between.includes(cut) ? 0 : 1, `cut at ${cut}`);
    }
  });

  it('skips an oversized message in a read unread, and hands on the ones around it', () => {
    const { reader, handed } = decodingReader(500);
    const big = encode([2, 'event', { seq: 99, text: 'z'.repeat(2000) }]);
    assert.equal(reader.push(Buffer.concat([event(1), big, event(2)])), true);
    assert.equal(handed.oversized, 1);
    assert.deepEqual(handed.all.map(seqOf), [1, 2]);
  });

  it('skips an oversized message that arrives in pieces, and hands on the next', () => {
    const { reader, handed } = decodingReader(500);
    const stream = Buffer.concat([encode([2, 'event', { seq: 99, text: 'z'.repeat(2000) }]), event(2)]);
    for (let at = 0; at < stream.length; at += 300) reader.push(stream.subarray(at, at + 300));
    assert.equal(handed.oversized, 1);
    assert.deepEqual(handed.all.map(seqOf), [2]);
  });

  it('hands on what came before bytes that are not MessagePack, then fails for good with EPROTO', () => {
    const { reader, handed } = decodingReader();
    const bad = Buffer.from([0x93, 0x02, 0xa5, ...Buffer.from('event'), 0xc1]);
    throwsProtocolError(() => reader.push(Buffer.concat([event(1), bad, event(2)])), /0xc1 is not a MessagePack/);
    assert.deepEqual(handed.first.map(seqOf), [1]);
    assert.deepEqual(handed.scanned, []);
    assert.deepEqual(reader.failedStart()?.subarray(0, 3), bad.subarray(0, 3));
  });

  it('fails for good on nesting past the limit, as the scanner always did', () => {
    const { reader, handed } = decodingReader(Infinity, 4);
    const deep = encode([2, 'event', [[[['too deep']]]]]);
    throwsProtocolError(() => reader.push(Buffer.concat([encode([2, 'ok', [[1]]]), deep])), /nests deeper than 4/);
    assert.equal(handed.first.length, 1);
  });

  it('hands a value the decoder refuses but the scanner passes to frame(), which refuses it, and reads on', () => {
    const { reader, handed } = decodingReader();
    // An extension of type 5: valid MessagePack, which the decoder does not take.
    const extension = Buffer.from([0x93, 0x02, 0xa1, 0x78, 0xd4, 0x05, 0x00]);
    assert.equal(reader.push(Buffer.concat([event(1), extension, event(2)])), true);
    assert.deepEqual(handed.refused, ['EPROTO']);
    assert.deepEqual(handed.first.map(seqOf), [1, 2]);
  });
});

describe('Endpoint reading notifications decoded first', () => {
  const { path, nextPeer } = rawPeers('cortex-decode-first-');

  /** An endpoint that only takes notifications, on a fresh connection, and the raw socket at the other end. */
  async function listener(): Promise<{
    seqs: number[];
    invalid: [string, boolean][];
    closed: Promise<string>;
    peer: Socket;
  }> {
    const peer = nextPeer();
    const seqs: number[] = [];
    const invalid: [string, boolean][] = [];
    let close!: (reason: string) => void;
    const closed = new Promise<string>((resolve) => (close = resolve));
    const endpoint = new Endpoint(connect(path), {
      remote: 'the test daemon',
      openOn: 'connect',
      makesCalls: false,
      handler: {
        notification: (_method, params) => seqs.push((params as { seq: number }).seq),
        invalid: (error, _id, fatal) => invalid.push([error.code, fatal]),
        closed: close,
      },
    });
    await endpoint.opened;
    return { seqs, invalid, closed, peer: await peer };
  }

  it('drops a notification cut off by the end of the stream, having handed on every whole one before it', async () => {
    const { seqs, invalid, closed, peer } = await listener();
    const last = event(3);
    peer.end(Buffer.concat([event(1), event(2), last.subarray(0, last.length - 4)]));
    assert.match(await bounded(closed, 'the close'), /closed/);
    assert.deepEqual(seqs, [1, 2]);
    assert.deepEqual(invalid, []);
  });

  it('closes on garbage after notifications in the same write, having handed on each one before it once', async () => {
    const { seqs, invalid, closed, peer } = await listener();
    peer.write(Buffer.concat([event(1), event(2), Buffer.from([0x93, 0x02, 0xc1]), event(3)]));
    assert.match(await bounded(closed, 'the close'), /protocol error/);
    assert.deepEqual(seqs, [1, 2]);
    assert.deepEqual(invalid, [['EPROTO', true]]);
  });

  it('gives a client on a Unix socket, which reads into one buffer it reuses, every notification intact', async () => {
    const peer = nextPeer();
    const client = await connectUnix(path);
    const socket = await peer;
    // Texts from a few bytes to 200 KiB: many fit in one read, some span several, and each read reuses the buffer.
    const texts = Array.from({ length: 300 }, (_, i) =>
      String.fromCharCode(97 + (i % 26)).repeat((i * 7919) % 200_000),
    );
    const got: string[] = [];
    const all = new Promise<void>((resolve) =>
      client.onNotification((_method, params) => {
        got.push((params as { text: string }).text);
        if (got.length === texts.length) resolve();
      }),
    );
    const bytes = Buffer.concat(texts.map((text, seq) => encode([2, 'event', { seq, text }])));
    // Written in pieces of odd sizes, so that messages are cut at many places.
    for (let at = 0, step = 1; at < bytes.length; at += step, step = 1 + ((step * 31 + 7) % 100_000)) {
      socket.write(bytes.subarray(at, at + step));
    }
    await bounded(all, 'every notification');
    assert.equal(got.length, texts.length);
    for (const [i, text] of texts.entries()) assert.ok(got[i] === text, `notification ${i} intact`);
    client.close();
  });
});
