import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../src/client/client.js';
import { FrameScanner } from '../../src/protocol/frame-scanner.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { ReadBuffer } from '../../src/rpc/read-buffer.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { bounded, WAIT_MS } from '../protocol/raw-client.js';

/**
 * A client whose requests reach a real daemon over a real Unix socket, and whose reads are that
 * daemon's bytes handed to the client's ReadBuffer where the test cuts them: as a socket's reads
 * arrive (ReadBuffer's onread) and as the addon's do (AddonReads reads into `current`, then calls
 * `received`). A socket cuts its reads where the kernel happens to; this cuts them at every byte.
 */
class CutLink {
  readonly client: Client;
  private readonly reads = new ReadBuffer();
  /** What the daemon sent that was not handed to the client yet. */
  private unread = Buffer.alloc(0);
  private arrived: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.unread = Buffer.concat([this.unread, chunk]);
      this.arrived?.();
    });
    const toDaemon = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, done: (error?: Error | null) => void) => socket.write(chunk, done),
    });
    // A call whose answer is lost fails with ETIMEDOUT instead of hanging the test.
    this.client = new Client(toDaemon, {
      remote: 'the daemon (reads cut by the test)',
      reads: this.reads,
      callTimeoutMs: WAIT_MS,
    });
  }

  static async open(path: string): Promise<CutLink> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new CutLink(socket);
  }

  /** Waits until the daemon has sent `count` whole messages beyond those taken, and takes their bytes. */
  async take(count: number): Promise<Buffer> {
    for (;;) {
      const end = this.endOf(count);
      if (end !== -1) {
        const bytes = this.unread.subarray(0, end);
        this.unread = this.unread.subarray(end);
        return bytes;
      }
      await bounded(new Promise<void>((resolve) => (this.arrived = resolve)), `${count} messages from the daemon`);
    }
  }

  /** Hands `bytes` to the client as reads that end at each of `cuts` and at the end. */
  deliver(bytes: Buffer, cuts: readonly number[]): void {
    let from = 0;
    for (const to of [...cuts, bytes.length]) {
      bytes.copy(this.reads.current, 0, from, to);
      this.reads.received(to - from);
      from = to;
    }
  }

  close(): void {
    this.client.close();
    this.socket.destroy();
  }

  /** Where the first `count` messages unread end; -1 before they are all in. */
  private endOf(count: number): number {
    // A scanner keeps its place in a message it has not seen the end of: each look starts afresh.
    const scanner = new FrameScanner();
    let end = 0;
    for (let message = 0; message < count; message++) {
      end = scanner.scan(this.unread, end);
      if (end === -1) return -1;
    }
    return end;
  }
}

/** Every `step`-th offset inside `length` bytes: reads of `step` bytes. */
function every(step: number, length: number): number[] {
  return Array.from({ length: Math.ceil(length / step) - 1 }, (_, index) => (index + 1) * step);
}

/**
 * Issue 17's "lost answer" (a Diff tab left on "Loading the diff…" at load) was a test that looked
 * too early; but it sent three changes to the client's read path out of main on suspicion, each
 * about where an answer split across reads is read from. These pin that path down against the
 * daemon's own bytes: an answer, two answers and a notification, cut into two reads at every byte,
 * one byte a read, and an answer longer than the read buffer, each must settle its call (or reach
 * its listener) with exactly what an uncut read gives. A decode that read past the end of a read
 * into what an earlier read left in the buffer would take the stale bytes for the rest of the
 * answer, and then the real rest for garbage.
 */
describe('answers cut across reads at every byte, from a real daemon', () => {
  let daemon: DaemonHandle;
  let control: Client;
  let link: CutLink;
  const text = 'é✓ a line of the record\n'.repeat(60);
  const long = 'the longer record '.repeat(9000);

  before(async () => {
    daemon = await startDaemon();
    control = await daemon.connect();
    await control.call('create_table', { name: 'notes', attributes: ['id', 'text'] });
    await control.call('put', { table: 'notes', record: { id: 'big', text } });
    await control.call('put', { table: 'notes', record: { id: 'long', text: long } });
    link = await CutLink.open(daemon.socket);
  });

  after(async () => {
    link?.close();
    control?.close();
    await cleanup(daemon);
  });

  it('settles a call whose answer is cut into two reads, wherever the cut falls', async () => {
    const whole = await control.call('get', { table: 'notes', key: 'big' });
    assert.equal(whole.record?.['text'], text);
    const first = link.client.call('get', { table: 'notes', key: 'big' });
    const bytes = await link.take(1);
    link.deliver(bytes, []);
    assert.deepEqual(await first, whole);
    assert.ok(bytes.length > 1500, `the answer is ${bytes.length} bytes`);
    for (let cut = 1; cut < bytes.length; cut++) {
      const call = link.client.call('get', { table: 'notes', key: 'big' });
      link.deliver(await link.take(1), [cut]);
      assert.deepEqual(await call, whole, `the answer cut after ${cut} bytes`);
    }
  });

  it('settles two answers that share reads, wherever the cut falls', async () => {
    const whole = await control.call('get', { table: 'notes', key: 'big' });
    const length = (await sentTogether()).length;
    for (let cut = 1; cut < length; cut++) {
      const ping = link.client.call('ping', {});
      const get = link.client.call('get', { table: 'notes', key: 'big' });
      link.deliver(await link.take(2), [cut]);
      assert.deepEqual(await get, whole, `the second answer with a cut after ${cut} bytes`);
      assert.deepEqual(await ping, { pong: true }, `the first answer with a cut after ${cut} bytes`);
    }

    /** The bytes of a ping's and a get's answers, sent in one write and answered back to back. */
    async function sentTogether(): Promise<Buffer> {
      const calls = [link.client.call('ping', {}), link.client.call('get', { table: 'notes', key: 'big' })];
      const bytes = await link.take(2);
      link.deliver(bytes, []);
      await Promise.all(calls);
      return bytes;
    }
  });

  it('takes an answer and a notification one byte a read', async () => {
    const whole = await control.call('get', { table: 'notes', key: 'big' });
    const call = link.client.call('get', { table: 'notes', key: 'big' });
    const answer = await link.take(1);
    link.deliver(answer, every(1, answer.length));
    assert.deepEqual(await call, whole);

    const subscribed = link.client.call('subscribe', { topic: 'table:notes' });
    link.deliver(await link.take(1), []);
    await subscribed;
    const heard: MsgValue[] = [];
    link.client.onNotification((method, params) => heard.push([method, params]));
    await control.call('put', { table: 'notes', record: { id: 'heard', text } });
    const notification = await link.take(1);
    link.deliver(notification, every(1, notification.length));
    assert.equal(heard.length, 1);
    const [method, params] = heard[0] as [string, { record?: { text?: string } }];
    assert.equal(method, 'table_change');
    assert.equal(params.record?.text, text);
  });

  it('settles an answer longer than the read buffer, in reads of any length', async () => {
    const whole = await control.call('get', { table: 'notes', key: 'long' });
    assert.equal(whole.record?.['text'], long);
    for (const step of [65_536, 65_535, 4096, 1000, 7]) {
      const call = link.client.call('get', { table: 'notes', key: 'long' });
      const bytes = await link.take(1);
      assert.ok(bytes.length > 65_536, `the answer is ${bytes.length} bytes`);
      link.deliver(bytes, every(step, bytes.length));
      assert.deepEqual(await call, whole, `the answer in reads of ${step} bytes`);
    }
  });
});
