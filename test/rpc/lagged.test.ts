import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Client, Resubscribed } from '../../src/client/client.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import type { Lagged } from '../../src/protocol/notifications.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { bounded, countOccurrences, RawClient, waitForLog } from '../protocol/raw-client.js';

const MiB = 1024 * 1024;
const RECORDS = 60_000;
const SLOW_SUBSCRIBERS = 5;
/** Puts kept in flight by the writer. */
const WINDOW = 256;
const PAD = 'x'.repeat(1000);

function key(index: number): string {
  return `k${String(index).padStart(6, '0')}`;
}

/** Puts records `from`..`to`-1 (1 KB each) with WINDOW of them in flight. */
async function putRange(writer: Client, table: string, from: number, to: number): Promise<void> {
  let next = from;
  const lane = async (): Promise<void> => {
    while (next < to) {
      const index = next++;
      await writer.call('put', { table, record: { id: key(index), pad: PAD } });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
}

function rssOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, `no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

interface RawChange {
  key: string;
  seq: number;
}

/** A field of a notification's params, as they came off the wire. */
function field(params: MsgValue | undefined, name: string): MsgValue | undefined {
  assert.ok(params !== null && typeof params === 'object' && !Array.isArray(params), 'params are a map');
  return (params as Record<string, MsgValue | undefined>)[name];
}

/** The table changes a raw subscriber got before its `lagged`, and that notice. */
function splitAtLagged(raw: RawClient, topic: string): { changes: RawChange[]; lagged: Lagged } {
  const changes: RawChange[] = [];
  for (const message of raw.received) {
    const [kind, method, params] = message as MsgValue[];
    if (kind !== 2) continue;
    if (method === 'lagged') {
      const cursor = field(params, 'cursor');
      const reason = field(params, 'reason');
      assert.equal(field(params, 'topic'), topic);
      assert.ok(typeof cursor === 'number' && typeof reason === 'string', 'lagged carries a cursor and a reason');
      return { changes, lagged: { topic, cursor, reason } };
    }
    assert.equal(method, 'table_change');
    const seq = field(params, 'seq');
    const key = field(params, 'key');
    assert.ok(typeof seq === 'number' && typeof key === 'string', 'a table change carries its key and seq');
    changes.push({ key, seq });
  }
  throw new Error(`no lagged notice among ${raw.received.length} messages`);
}

/** Takes a paused raw subscriber's notifications until its `lagged` one. */
async function readUntilLagged(raw: RawClient): Promise<void> {
  raw.socket.resume();
  while ((await raw.notification()).method !== 'lagged');
}

/** Collects a client's changes of one table, and waits until a given key has come. */
class ChangeLog {
  readonly keys: string[] = [];
  private waiting: { key: string; resolve: () => void } | undefined;

  constructor(client: Client, table: string) {
    client.onNotification('table_change', (change) => {
      if (change.table !== table) return;
      this.keys.push(String(change.key));
      if (this.waiting?.key === change.key) this.waiting.resolve();
    });
  }

  until(key: string): Promise<void> {
    if (this.keys.includes(key)) return Promise.resolve();
    return bounded(new Promise<void>((resolve) => (this.waiting = { key, resolve })), `the change of ${key}`, 120_000);
  }
}

describe('subscribers that do not read: bounded output per connection, lagged with a cursor, resumed exactly once', () => {
  let daemon: DaemonHandle;
  let writer: Client;
  const opened: { close(): void }[] = [];
  // The hard limit is the daemon's memory per idle subscriber: 8 MiB here so that five of them fit the
  // 100 MB budget (at the default 32 MiB, five hold up to 160 MiB, as Redis's pubsub limit allows).
  // The stall timeout is raised so that the slow subscribers are still connected when they read again.
  const config = {
    subscription_hard_bytes: 8 * MiB,
    subscription_soft_bytes: 2 * MiB,
    stall_timeout_ms: 600_000,
  };

  before(async () => {
    daemon = await startDaemon({ config });
    writer = await daemon.connect();
    await writer.call('create_table', { name: 'slow', attributes: ['id', 'pad'] });
  });

  after(async () => {
    for (const connection of opened) connection.close();
    writer?.close();
    await cleanup(daemon);
  });

  it(`five subscribers that never read while ${RECORDS} records of 1 KB are put: memory stays bounded, each gets lagged with a cursor, and a client resumes from it exactly once`, async () => {
    const slow: RawClient[] = [];
    for (let index = 0; index < SLOW_SUBSCRIBERS; index++) {
      const raw = await RawClient.open(daemon.socket);
      opened.push({ close: () => raw.destroy() });
      assert.deepEqual(await raw.ok(1, 'subscribe', { topic: 'table:slow' }), { ok: true, topic: 'table:slow' });
      raw.socket.pause();
      slow.push(raw);
    }
    const lagLines = countOccurrences(daemon.stderr(), 'table:slow ended');
    const rssBefore = rssOf(daemon.process.pid!, 'VmRSS');

    await putRange(writer, 'slow', 0, RECORDS);

    const growth = rssOf(daemon.process.pid!, 'VmHWM') - rssBefore;
    assert.ok(growth < 100 * MiB, `the daemon's peak RSS grew by ${Math.round(growth / MiB)} MiB`);
    for (let seen = lagLines; seen < lagLines + SLOW_SUBSCRIBERS; seen++) {
      await waitForLog(daemon, 'table:slow ended', seen);
    }

    const cursors: number[] = [];
    for (const raw of slow) {
      await readUntilLagged(raw);
      const { changes, lagged } = splitAtLagged(raw, 'table:slow');
      assert.ok(changes.length > 0 && changes.length < RECORDS, `${changes.length} changes before lagging`);
      assert.match(lagged.reason, /more than \d+ bytes unread/);
      // The cursor is the seq of the last change it was sent, and everything up to it came, in order, once.
      assert.equal(lagged.cursor, changes.at(-1)!.seq);
      assert.deepEqual(
        changes.map((change) => change.key),
        Array.from({ length: changes.length }, (_, index) => key(index)),
      );
      // Nothing else is sent on that subscription.
      const after = raw.received.length;
      assert.deepEqual(await raw.ok(2, 'ping', {}), { pong: true });
      assert.equal(raw.received.length, after + 1, 'only the answer to ping came after lagged');
      cursors.push(lagged.cursor);
    }

    // A client resumes from the first subscriber's cursor: every later change exactly once, the replay
    // (itself over the limit, so it lags and is taken up again by the client library) and live ones after it.
    const cursor = cursors[0]!;
    const before = splitAtLagged(slow[0]!, 'table:slow').changes.length;
    const resumer = await daemon.connect();
    opened.push(resumer);
    const got = new ChangeLog(resumer, 'slow');
    const resubscribed: Resubscribed[] = [];
    resumer.onResubscribe((event) => resubscribed.push(event));
    await resumer.call('subscribe', { topic: 'table:slow', after: cursor });
    await got.until(key(RECORDS - 1));
    await putRange(writer, 'slow', RECORDS, RECORDS + 100);
    await got.until(key(RECORDS + 99));
    assert.deepEqual(
      got.keys,
      Array.from({ length: RECORDS + 100 - before }, (_, index) => key(before + index)),
      'every change after the cursor, in order, exactly once',
    );
    assert.ok(resubscribed.length > 0, 'the replay lagged and the client took it up again by itself');
    for (const event of resubscribed) {
      assert.ok('result' in event, `resubscribing failed: ${'error' in event ? event.error.message : ''}`);
      assert.equal(event.topic, 'table:slow');
    }
  });

  it('a subscriber over the soft limit for subscription_soft_ms is ended too, while one that reads is not', async () => {
    const soft = await startDaemon({
      config: { subscription_hard_bytes: 64 * MiB, subscription_soft_bytes: 256 * 1024, subscription_soft_ms: 300 },
    });
    try {
      const client = await soft.connect();
      opened.push(client);
      await client.call('create_table', { name: 't', attributes: ['id', 'pad'] });
      const reader = await soft.connect();
      opened.push(reader);
      const readerLog = new ChangeLog(reader, 't');
      await reader.call('subscribe', { topic: 'table:t' });
      const raw = await RawClient.open(soft.socket);
      opened.push({ close: () => raw.destroy() });
      await raw.ok(1, 'subscribe', { topic: 'table:t' });
      raw.socket.pause();
      // Far over the soft limit, far under the hard one; then one more put at a time until the soft
      // limit has lasted long enough (the daemon's log says when: an event, not a guess at a duration).
      await putRange(client, 't', 0, 2000);
      let index = 2000;
      const ended = waitForLog(soft, 'table:t ended', 0);
      let done = false;
      void ended.then(() => (done = true));
      while (!done) await client.call('put', { table: 't', record: { id: key(index++), pad: PAD } });
      await ended;
      assert.match(soft.stderr(), /table:t ended, it left more than 262144 bytes unread for 300 ms/);
      await readerLog.until(key(index - 1));
      assert.equal(readerLog.keys.length, index, 'the subscriber that reads got every change');
      await readUntilLagged(raw);
      assert.match(splitAtLagged(raw, 'table:t').lagged.reason, /for 300 ms/);
    } finally {
      await cleanup(soft);
    }
  });

  it("a session's event stream lags the same way, with the event seq as its cursor", async () => {
    const repo = tempDir('cortex-lag-ws-');
    execFileSync('git', ['init', '-q', repo.path]);
    const small = await startDaemon({
      config: { subscription_hard_bytes: 64 * 1024, subscription_soft_bytes: 64 * 1024, stall_timeout_ms: 600_000 },
    });
    try {
      const client = await small.connect();
      opened.push(client);
      const { workspace } = await client.call('workspace_add', { path: repo.path });
      const { session } = await client.call('session_start', { workspace: workspace.id, provider: 'fake' });
      const watch = await SessionWatch.start(client, session.id, 0);
      const raw = await RawClient.open(small.socket);
      opened.push({ close: () => raw.destroy() });
      await raw.ok(1, 'subscribe', { topic: `session:${session.id}`, after: 0 });
      raw.socket.pause();
      await client.call('session_send', { session: session.id, prompt: '/stream 10000' });
      const end = await watch.turnEnd(1);
      assert.equal(end.type, 'turn_completed');

      await readUntilLagged(raw);
      const seqs: number[] = [];
      let cursor: MsgValue | undefined;
      for (const message of raw.received) {
        const [kind, method, params] = message as MsgValue[];
        if (kind !== 2) continue;
        if (method === 'lagged') {
          cursor = field(params, 'cursor');
          break;
        }
        seqs.push(Number(field(params, 'seq')));
      }
      assert.ok(seqs.length > 0 && seqs.length < end.seq, `${seqs.length} events before lagging`);
      assert.deepEqual(
        seqs,
        Array.from({ length: seqs.length }, (_, index) => index + 1),
      );
      assert.equal(cursor, seqs.at(-1), 'the cursor is the seq of the last event it was sent');

      const resumer = await small.connect();
      opened.push(resumer);
      const resubscribed: Resubscribed[] = [];
      resumer.onResubscribe((event) => resubscribed.push(event));
      const events: SessionEvent[] = [];
      const last = new Promise<void>((resolve) =>
        resumer.onNotification('event', (event) => {
          events.push(event);
          if (event.seq === end.seq) resolve();
        }),
      );
      await resumer.call('subscribe', { topic: `session:${session.id}`, after: Number(cursor) });
      await bounded(last, 'the last event', 120_000);
      assert.deepEqual(
        events.map((event) => event.seq),
        Array.from({ length: end.seq - Number(cursor) }, (_, index) => Number(cursor) + 1 + index),
        'every later event once, in order',
      );
      assert.ok(resubscribed.length > 0, 'the replay lagged too, and the client took it up again');
    } finally {
      await cleanup(small);
      repo.remove();
    }
  });
});
