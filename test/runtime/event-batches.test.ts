import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { bounded } from '../protocol/raw-client.js';

const COUNT = 20_000;

/**
 * A stand-in for `codex exec --json` printing Codex's JSONL as fast as it can: the real CLI cannot be made to print
 * 20,000 items. Each line is one blocking write(2), as the Rust codex's line-buffered stdout does, so the stand-in
 * waits whenever the daemon falls behind and the two overlap; `process.stdout` would queue the lines in the
 * stand-in's memory once the socket is full and send them only after its loop ended.
 */
const BURST = `#!/usr/bin/env node
const { writeSync } = require('node:fs');
const out = (event) => writeSync(1, JSON.stringify(event) + '\\n');
out({ type: 'thread.started', thread_id: 'burst-thread' });
out({ type: 'turn.started' });
for (let i = 1; i <= ${COUNT}; i++) out({ type: 'item.completed', item: { id: 'i' + i, type: 'agent_message', text: 'message ' + i } });
out({ type: 'turn.completed', usage: { input_tokens: 1, output_tokens: ${COUNT} } });
`;

interface Subscribed {
  /** The seq it asked to start after (`after`), or the daemon's `last_seq` for a live subscription. */
  from: number;
  events: SessionEvent[];
  /** The seq of the event that ended the turn, once this subscriber has it. */
  ended: Promise<number>;
}

/**
 * A provider's output arrives in reads of many lines; the daemon inserts each read's events together and
 * fans them out as one batch, one write per subscriber. Whenever a subscriber joins (before the burst, during
 * it, with a cursor or live), it gets each event after its start once and in seq order; and every event a
 * subscriber was sent is in the log after kill -9, since a batch goes out only once committed.
 */
describe('session events fanned out in batches', () => {
  const dir = tempDir('cortex-batches-');
  const opened: Client[] = [];
  let daemon: DaemonHandle;
  let control: Client;
  let session: string;

  before(async () => {
    const binary = join(dir.path, 'codex');
    writeFileSync(binary, BURST);
    chmodSync(binary, 0o755);
    daemon = await startDaemon({ env: { CORTEX_CODEX_BIN: binary } });
    control = await daemon.connect();
    opened.push(control);
    const { workspace } = await control.call('workspace_add', { path: dir.path });
    ({
      session: { id: session },
    } = await control.call('session_start', { workspace: workspace.id, provider: 'codex-exec' }));
  });
  after(async () => {
    for (const client of opened) client.close();
    await cleanup(daemon);
    dir.remove();
  });

  async function subscribe(afterSeq?: number, onEvent?: (event: SessionEvent) => void): Promise<Subscribed> {
    const client = await daemon.connect();
    opened.push(client);
    const events: SessionEvent[] = [];
    let end!: (seq: number) => void;
    const ended = new Promise<number>((resolve) => (end = resolve));
    client.onNotification('event', (event) => {
      events.push(event);
      onEvent?.(event);
      if (event.type === 'turn_completed' || event.type === 'turn_failed') end(event.seq);
    });
    const answer = await client.call('subscribe', {
      topic: `session:${session}`,
      ...(afterSeq === undefined ? {} : { after: afterSeq }),
    });
    return { from: afterSeq ?? answer.last_seq ?? -1, events, ended };
  }

  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + 1 + index);

  it('gives every subscriber each event after its start once, in order, wherever it joined', async () => {
    const joined: Promise<Subscribed>[] = [];
    let seen = 0;
    const early = await subscribe(undefined, (event) => {
      if (event.type !== 'agent_message' || ++seen !== COUNT / 10) return;
      // Joining while the burst streams: from the start, from this subscriber's cursor, and live.
      joined.push(subscribe(0), subscribe(event.seq), subscribe());
    });
    const fromStart = await subscribe(0);
    await control.call('session_send', { session, prompt: 'go' });
    const end = await bounded(early.ended, 'the end of the turn', 120_000);
    const late = await Promise.all(joined);
    assert.equal(late.length, 3, 'three subscribers joined during the burst');
    const all = [early, fromStart, ...late];
    for (const [index, subscriber] of all.entries()) {
      assert.equal(await bounded(subscriber.ended, `subscriber ${index} to see the end`, 120_000), end);
      assert.deepEqual(
        subscriber.events.map((event) => event.seq),
        range(subscriber.from, end),
        `subscriber ${index}, from ${subscriber.from}: each event once, in order`,
      );
    }
    const messages = fromStart.events.filter((event) => event.type === 'agent_message');
    assert.equal(messages.length, COUNT);
    assert.deepEqual(
      messages.map((event) => event.type === 'agent_message' && event.payload.text),
      range(0, COUNT).map((i) => `message ${i}`),
      'the payloads in the order the provider printed them',
    );
    const cursor = late[1]!.from;
    assert.ok(cursor > 0 && cursor < end, `the cursor ${cursor} is inside the burst`);
  });

  it('has in its log, after kill -9 in the middle of a burst, every event a subscriber was sent', async () => {
    const client = await daemon.connect();
    opened.push(client);
    const sent: SessionEvent[] = [];
    const gone = new Promise<void>((resolve) => client.onClose(resolve));
    let messages = 0;
    client.onNotification('event', (event) => {
      sent.push(event);
      if (event.turn === 2 && event.type === 'agent_message' && ++messages === COUNT / 2)
        daemon.process.kill('SIGKILL');
    });
    await client.call('subscribe', { topic: `session:${session}` });
    await control.call('session_send', { session, prompt: 'again' });
    // Everything the daemon wrote before it died is read before the connection closes.
    await bounded(gone, 'the connection to close with the daemon', 120_000);
    await daemon.exited;
    assert.ok(messages >= COUNT / 2, `${messages} messages of the second burst before the kill`);

    daemon = await startDaemon({ home: daemon.home, env: { CORTEX_CODEX_BIN: join(dir.path, 'codex') } });
    // The replay of a subscription from just before the first event it was sent (it arrives before the answer).
    const { events: logged } = await subscribe(sent[0]!.seq - 1);
    assert.deepEqual(
      logged.slice(0, sent.length).map(({ seq, type }) => ({ seq, type })),
      sent.map(({ seq, type }) => ({ seq, type })),
      'every event the subscriber was sent is in the log after the restart',
    );
  });
});
