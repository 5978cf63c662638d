import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Client, connectUnix } from '../../src/client/client.js';
import { type Link, Reconnector } from '../../src/client/reconnector.js';
import { CortexError, type WireError } from '../../src/protocol/errors.js';
import { cleanup, type DaemonHandle, startDaemon } from '../helpers/daemon.js';
import { bounded } from '../protocol/raw-client.js';

/** Fails unless `call` rejects with a CortexError of `code` whose message matches `message`. */
async function rejectsWith(call: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof CortexError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe("the project's client on the shared endpoint", () => {
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
    await client.call('create_table', { name: 'notes', attributes: ['id', 'text'] });
  });

  after(async () => {
    client?.close();
    await cleanup(daemon);
  });

  it('is open once connected, and says which socket had no daemon', async () => {
    assert.equal(client.state, 'open');
    await rejectsWith(
      connectUnix(`${daemon.home}/nothing.sock`),
      'ECONNREFUSED',
      /No daemon answers on .*nothing\.sock \(ENOENT\)/,
    );
  });

  it('sends methods as notifications (no answer), typed so that only methods that need no answer can be', async () => {
    for (let index = 0; index < 20; index++) client.notify('put', { table: 'notes', record: { id: `n${index}` } });
    client.notify('delete', { table: 'notes', key: 'n0' });
    const { records } = await client.call('all', { table: 'notes' });
    assert.equal(records.length, 19);

    const errors: WireError[] = [];
    client.onNotification('protocol_error', (error) => errors.push(error));
    // @ts-expect-error: get needs its answer, so the client does not let it be notified
    client.notify('get', { table: 'notes', key: 'n1' });
    await client.call('ping', {});
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /^get only makes sense with its answer/);

    const failed = new Promise<{ method: string; error: WireError }>((resolve) =>
      client.onNotification('notify_failed', resolve),
    );
    await client.call('subscribe', { topic: 'notify:errors' });
    client.notify('put', { table: 'notes', record: { text: 'no key' } });
    const failure = await bounded(failed, 'notify_failed');
    assert.deepEqual([failure.method, failure.error.code], ['put', 'EINVAL']);
    assert.match(failure.error.message, /record\.id/);
  });

  it('takes params by position too, in the declared order', async () => {
    assert.deepEqual(await client.request('get', ['notes', 'n1']), { record: { id: 'n1' } });
    assert.deepEqual(await client.request('put', ['notes', { id: 'p', text: 'by position' }]), { ok: true });
    await rejectsWith(client.request('get', ['notes']), 'EINVAL', /params\.key/);
    await rejectsWith(client.request('get', ['notes', 'n1', 1]), 'EINVAL', /its params in order: table, key/);
  });

  it('hands typed notifications to listeners by name, and every one to raw listeners', async () => {
    const typed: number[] = [];
    const raw: string[] = [];
    const stopTyped = client.onNotification('table_change', (change) => typed.push(change.seq));
    const stopRaw = client.onNotification((method) => raw.push(method));
    await client.call('subscribe', { topic: 'table:notes' });
    await client.call('put', { table: 'notes', record: { id: 't1' } });
    await client.call('put', { table: 'notes', record: { id: 't2' } });
    await client.call('ping', {});
    stopTyped();
    stopRaw();
    assert.equal(typed.length, 2);
    assert.ok(typed[1]! > typed[0]!, 'change-log seqs grow');
    assert.deepEqual(raw, ['table_change', 'table_change']);
  });

  it('applies listeners added or removed during a notification from the next one, and adds one listener once', async () => {
    const calls: string[] = [];
    const stops: (() => void)[] = [];
    const late = (): void => void calls.push('late');
    const once = (): void => {
      calls.push('once');
      stopOnce();
      // Added while the first notification is handed out: called from the second on.
      stops.push(client.onNotification('table_change', late));
    };
    const twice = (): void => void calls.push('twice');
    const stopOnce = client.onNotification('table_change', once);
    stops.push(client.onNotification('table_change', twice), client.onNotification('table_change', twice));
    // Removed by the listener before it, in the first dispatch: that dispatch still calls it, as a copy would.
    let stopRemoved = (): void => undefined;
    const stopFromFirst = client.onNotification('table_change', () => stopRemoved());
    stopRemoved = client.onNotification('table_change', () => void calls.push('removed'));
    await client.call('subscribe', { topic: 'table:notes' });
    await client.call('put', { table: 'notes', record: { id: 'l1' } });
    await client.call('put', { table: 'notes', record: { id: 'l2' } });
    await client.call('unsubscribe', { topic: 'table:notes' });
    for (const stop of [...stops, stopFromFirst]) stop();
    assert.deepEqual(calls, ['once', 'twice', 'removed', 'twice', 'late']);
  });

  it('fails a call past its deadline with ETIMEDOUT, and every pending call with ECLOSED when the connection ends', async () => {
    const other = await daemon.connect();
    daemon.process.kill('SIGSTOP');
    try {
      await rejectsWith(
        other.call('ping', {}, { timeoutMs: 100 }),
        'ETIMEDOUT',
        /No answer from the daemon on \S+ to ping within 100 ms/,
      );
      const pending = [other.call('ping', {}), other.call('status', {})];
      other.close();
      for (const call of pending) await rejectsWith(call, 'ECLOSED', /closed by the client/);
      assert.equal(other.state, 'closed');
      await rejectsWith(other.call('ping', {}), 'ECLOSED', /is closed/);
    } finally {
      daemon.process.kill('SIGCONT');
    }
    assert.deepEqual(await client.call('ping', {}), { pong: true });
  });

  it('tells a close listener added after the connection closed, once, and not one that was removed', async () => {
    const other = await daemon.connect();
    const closedNow = new Promise<void>((resolve) => other.onClose(resolve));
    other.close();
    await closedNow;
    assert.equal(other.state, 'closed');
    let told = 0;
    other.onClose(() => told++);
    const removed = other.onClose(() => assert.fail('a removed listener was told'));
    removed();
    await new Promise<void>((resolve) => other.onClose(resolve));
    assert.equal(told, 1);
  });
});

describe('Reconnector: one connection kept, with capped backoff', () => {
  it('connects, reconnects after the daemon goes away, backs off up to the cap, and starts small again', async () => {
    let daemon = await startDaemon();
    const { home, socket } = daemon;
    const keeper = new Reconnector(() => connectUnix(socket), { firstDelayMs: 20, maxDelayMs: 80 });
    const links: Link[] = [];
    const waiters = new Set<() => void>();
    keeper.onChange((link) => {
      links.push(link);
      for (const wake of [...waiters]) wake();
    });
    const until = (test: (link: Link) => boolean, what: string): Promise<Link> =>
      bounded(
        new Promise<Link>((resolve) => {
          const check = (): void => {
            const found = links.find(test);
            if (found === undefined) return;
            waiters.delete(check);
            resolve(found);
          };
          waiters.add(check);
          check();
        }),
        what,
      );
    try {
      assert.equal(keeper.current.state, 'connecting');
      keeper.start();
      const first = await until((link) => link.state === 'open', 'the first connection');
      assert.equal(first.generation, 1);
      assert.deepEqual(await first.client!.call('ping', {}), { pong: true });

      await daemon.kill();
      // Down: tried again and again, each wait twice the last, never over the cap.
      await until(
        (link) => link.state === 'reconnecting' && link.retryInMs === 80 && link.error !== undefined,
        'the cap',
      );
      const waits = links.filter((link) => link.state === 'reconnecting').map((link) => link.retryInMs);
      assert.deepEqual(waits.slice(0, 4), [20, 20, 40, 80]);
      assert.ok(waits.every((wait) => wait <= 80));

      daemon = await startDaemon({ home });
      const second = await until((link) => link.state === 'open' && link.generation === 2, 'the reconnection');
      assert.equal(second.error, undefined);
      assert.deepEqual(await second.client!.call('ping', {}), { pong: true });
    } finally {
      keeper.stop();
      await cleanup(daemon);
    }
  });
});
