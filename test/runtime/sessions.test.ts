import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { CortexError } from '../../src/protocol/errors.js';
import type { Session } from '../../src/protocol/runtime-types.js';
import { EVENT_DOCS, EVENT_TYPES, type EventType, type SessionEvent } from '../../src/protocol/session-events.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';

/**
 * The agent runtime end to end: a real daemon, the deterministic fake
 * provider, a real git repository as the workspace. Every wait is on an event
 * the daemon sends (the timeouts in SessionWatch only turn a hang into a
 * readable failure).
 */

const GUARD_MS = 30_000;

type EventOf<T extends EventType> = Extract<SessionEvent, { type: T }>;

function ofType<T extends EventType>(events: SessionEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}

function only<T extends EventType>(events: SessionEvent[], type: T, turn?: number): EventOf<T> {
  const found = ofType(events, type).filter((event) => turn === undefined || event.turn === turn);
  assert.equal(found.length, 1, `exactly one ${type}${turn === undefined ? '' : ` in turn ${turn}`}`);
  return found[0]!;
}

/** seq runs 1..N with no gap, no duplicate and no reordering. */
function assertConsecutive(events: SessionEvent[], from = 1): void {
  assert.deepEqual(
    events.map((event) => event.seq),
    Array.from({ length: events.length }, (_, i) => from + i),
  );
}

/** The call fails with this error code (and a message matching `message`). */
async function rejectsWith(call: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof CortexError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('agent sessions with the fake provider', () => {
  const repo = tempDir('cortex-sessions-ws-');
  let dir: string;
  let daemon: DaemonHandle;
  let client: Client;
  let workspace: string;
  const watches: SessionWatch[] = [];
  const started: string[] = [];
  const extraClients: Client[] = [];

  /** Subscribes from the first event; every watch's events count for the event-type check at the end. */
  async function watch(session: string): Promise<SessionWatch> {
    const watcher = await SessionWatch.start(client, session, 0);
    watches.push(watcher);
    return watcher;
  }

  async function start(prompt?: string): Promise<{ session: Session; watch: SessionWatch }> {
    const { session } = await client.call('session_start', {
      workspace,
      provider: 'fake',
      ...(prompt === undefined ? {} : { prompt }),
    });
    started.push(session.id);
    return { session, watch: await watch(session.id) };
  }

  const get = async (id: string) => (await client.call('session_get', { session: id })).session;

  before(async () => {
    execFileSync('git', ['init', '-q', repo.path]);
    dir = realpathSync(repo.path);
    daemon = await startDaemon();
    client = await daemon.connect();
    const added = await client.call('workspace_add', { path: repo.path });
    assert.equal(added.created, true);
    assert.equal(added.workspace.path, dir);
    workspace = added.workspace.id;
  });

  after(async () => {
    for (const extra of extraClients) extra.close();
    client.close();
    await cleanup(daemon);
    repo.remove();
  });

  it('runs an echo turn: events in order, seq without gaps, status idle, usage counted', async () => {
    const prompt = 'hello there';
    const { session, watch: w } = await start(prompt);
    assert.match(session.id, /^s_[a-z0-9]{6,32}$/);
    assert.equal(session.provider, 'fake');
    assert.equal((await w.turnEnd(1)).type, 'turn_completed', w.summary());
    assert.deepEqual(
      w.events.map((event) => [event.seq, event.turn, event.type]),
      [
        [1, 0, 'session_started'],
        [2, 1, 'turn_started'],
        [3, 1, 'agent_message'],
        [4, 1, 'turn_completed'],
      ],
    );
    for (const event of w.events) {
      assert.equal(event.session, session.id);
      assert.equal(typeof event.time, 'number');
    }
    assert.deepEqual(only(w.events, 'session_started').payload, {
      provider: 'fake',
      workspace,
      path: dir,
      model: null,
    });
    assert.deepEqual(only(w.events, 'turn_started').payload, { prompt, resumed: false });
    assert.equal(only(w.events, 'agent_message').payload.text, 'You said: hello there');
    const usage = only(w.events, 'turn_completed').payload.usage;
    assert.deepEqual(usage, {
      input_tokens: prompt.length,
      cached_input_tokens: 0,
      output_tokens: 1,
      reasoning_output_tokens: 0,
    });

    const state = await get(session.id);
    assert.equal(state.status, 'idle');
    assert.equal(state.turns, 1);
    assert.equal(state.queued, 0);
    assert.deepEqual(state.usage, usage);
    assert.match(state.resume_ref ?? '', /^fake-[0-9a-f]{12}$/);

    // A second turn continues the conversation, and usage adds up.
    const sent = await client.call('session_send', { session: session.id, prompt: 'again' });
    assert.deepEqual(sent, { ok: true, turn: 2, queued: false });
    assert.equal((await w.turnEnd(2)).type, 'turn_completed', w.summary());
    assert.equal(only(w.events, 'turn_started', 2).payload.resumed, true);
    const later = await get(session.id);
    assert.equal(later.usage.input_tokens, prompt.length + 'again'.length);
    assert.equal(later.usage.output_tokens, 2);
    assert.equal(later.resume_ref, state.resume_ref);
    assertConsecutive(w.events);
    // The stored history is the same as what was streamed.
    assert.deepEqual((await client.call('session_events', { session: session.id })).events, w.events);
  });

  it('/write creates the file in the workspace and reports a file change', async () => {
    const { session, watch: w } = await start('/write notes/todo.txt buy milk');
    assert.equal((await w.turnEnd(1)).type, 'turn_completed', w.summary());
    assert.equal(readFileSync(join(dir, 'notes', 'todo.txt'), 'utf8'), 'buy milk\n');
    const changes = ofType(w.events, 'file_change');
    assert.deepEqual(
      changes.map((event) => [event.payload.phase, event.payload.status, event.payload.changes]),
      [
        ['started', 'in_progress', [{ path: 'notes/todo.txt', kind: 'update' }]],
        ['completed', 'completed', [{ path: 'notes/todo.txt', kind: 'update' }]],
      ],
    );
    assert.equal(changes[0]!.payload.item_id, changes[1]!.payload.item_id);

    // A path outside the workspace is refused, and nothing is written there.
    await client.call('session_send', { session: session.id, prompt: '/write ../escaped.txt nope' });
    const end = await w.turnEnd(2);
    assert.equal(end.type, 'turn_failed', w.summary());
    assert.match(end.type === 'turn_failed' ? end.payload.error : '', /outside the workspace/);
    assert.equal(existsSync(join(dir, '..', 'escaped.txt')), false);
  });

  it('/run reports the command with its real exit code and output', async () => {
    const { watch: w } = await start('/run echo to-stdout; echo to-stderr >&2; exit 3\n/run test -d .git');
    assert.equal((await w.turnEnd(1)).type, 'turn_completed', w.summary());
    const commands = ofType(w.events, 'command');
    assert.deepEqual(
      commands.map((event) => [event.payload.phase, event.payload.command, event.payload.exit_code]),
      [
        ['started', 'echo to-stdout; echo to-stderr >&2; exit 3', null],
        ['completed', 'echo to-stdout; echo to-stderr >&2; exit 3', 3],
        ['started', 'test -d .git', null],
        ['completed', 'test -d .git', 0],
      ],
    );
    const failed = commands[1]!.payload;
    assert.equal(failed.status, 'failed');
    assert.match(failed.output, /to-stdout/);
    assert.match(failed.output, /to-stderr/);
    assert.equal(commands[3]!.payload.status, 'completed', 'it ran in the workspace (a git repository)');
  });

  it('/run keeps all of a long output', async () => {
    const { watch: w } = await start('/run seq 1 20000');
    assert.equal((await w.turnEnd(1)).type, 'turn_completed', w.summary());
    const done = ofType(w.events, 'command').find((event) => event.payload.phase === 'completed');
    assert.equal(done?.payload.exit_code, 0);
    const lines = (done?.payload.output ?? '').split('\n');
    assert.equal(lines.at(-2), '20000', `the output ends with ${JSON.stringify(lines.slice(-3))}`);
  });

  it('queues messages sent during a turn and runs them next, never overlapping', async () => {
    execFileSync('mkfifo', [join(dir, 'gate.fifo')]);
    // Turn 1 blocks until the test opens the gate: no timing involved.
    const { session, watch: w } = await start('/run read word < gate.fifo && echo "got $word"');
    await w.waitFor((event) => event.type === 'command' && event.payload.phase === 'started', 'the gated command');

    assert.deepEqual(await client.call('session_send', { session: session.id, prompt: 'second' }), {
      ok: true,
      turn: 2,
      queued: true,
    });
    assert.deepEqual(await client.call('session_send', { session: session.id, prompt: 'third' }), {
      ok: true,
      turn: 3,
      queued: true,
    });
    await w.waitFor((event) => event.type === 'turn_queued' && event.turn === 3, 'the second turn_queued');
    assert.deepEqual(
      ofType(w.events, 'turn_queued').map((event) => [event.turn, event.payload]),
      [
        [2, { prompt: 'second', position: 1 }],
        [3, { prompt: 'third', position: 2 }],
      ],
    );
    const waiting = await get(session.id);
    assert.equal(waiting.status, 'running');
    assert.equal(waiting.queued, 2);
    assert.equal(waiting.turns, 1);

    await writeFile(join(dir, 'gate.fifo'), 'go\n');
    assert.equal((await w.turnEnd(3)).type, 'turn_completed', w.summary());
    assertConsecutive(w.events);

    const done = ofType(w.events, 'command').find((event) => event.payload.phase === 'completed');
    assert.equal(done?.payload.exit_code, 0);
    assert.match(done?.payload.output ?? '', /got go/);
    // Each turn's events lie between its start and its end; the next turn starts after.
    for (const turn of [1, 2, 3]) {
      const started = only(w.events, 'turn_started', turn).seq;
      const ended = only(w.events, 'turn_completed', turn).seq;
      const inside = w.events.filter((event) => event.turn === turn && event.type !== 'turn_queued');
      assert.ok(
        inside.every((event) => event.seq >= started && event.seq <= ended),
        `turn ${turn} overlaps: ${w.summary()}`,
      );
      if (turn > 1) {
        assert.ok(started > only(w.events, 'turn_completed', turn - 1).seq, `turn ${turn} started early`);
      }
    }
    assert.deepEqual(
      ofType(w.events, 'agent_message').map((event) => [event.turn, event.payload.text]),
      [
        [2, 'You said: second'],
        [3, 'You said: third'],
      ],
    );
    const state = await get(session.id);
    assert.equal(state.status, 'idle');
    assert.equal(state.queued, 0);
    assert.equal(state.turns, 3);
  });

  it('interrupts a hanging turn and a running command; the session stays usable', async () => {
    const { session, watch: w } = await start('/hang');
    await w.waitFor((event) => event.type === 'turn_started', 'turn 1 to start');
    assert.deepEqual(await client.call('session_interrupt', { session: session.id }), {
      ok: true,
      interrupted: true,
    });
    const end = await w.turnEnd(1);
    assert.equal(end.type, 'turn_interrupted', w.summary());
    assert.equal(end.type === 'turn_interrupted' && end.payload.reason, 'interrupted by the user');
    assert.equal((await get(session.id)).status, 'interrupted');
    assert.deepEqual(await client.call('session_interrupt', { session: session.id }), {
      ok: true,
      interrupted: false,
    });

    // A command that would run for a minute is stopped with its process group.
    await client.call('session_send', { session: session.id, prompt: '/run sleep 60' });
    await w.waitFor((event) => event.type === 'command' && event.turn === 2, 'the command to start');
    await client.call('session_interrupt', { session: session.id });
    assert.equal((await w.turnEnd(2)).type, 'turn_interrupted', w.summary());
    const stopped = ofType(w.events, 'command').find(
      (event) => event.turn === 2 && event.payload.phase === 'completed',
    );
    assert.notEqual(stopped?.payload.exit_code, 0, 'the command was killed');

    await client.call('session_send', { session: session.id, prompt: 'still there?' });
    assert.equal((await w.turnEnd(3)).type, 'turn_completed', w.summary());
    assert.equal(only(w.events, 'turn_started', 3).payload.resumed, true);
    assert.equal((await get(session.id)).status, 'idle');
    assertConsecutive(w.events);
  });

  it('/fail fails the turn with the message; the next message works', async () => {
    const { session, watch: w } = await start('/fail the tests are red');
    const end = await w.turnEnd(1);
    assert.equal(end.type, 'turn_failed', w.summary());
    assert.equal(end.type === 'turn_failed' && end.payload.error, 'the tests are red');
    assert.equal((await get(session.id)).status, 'failed');
    assert.deepEqual(await client.call('session_send', { session: session.id, prompt: 'try again' }), {
      ok: true,
      turn: 2,
      queued: false,
    });
    assert.equal((await w.turnEnd(2)).type, 'turn_completed', w.summary());
    assert.equal((await get(session.id)).status, 'idle');
  });

  it('stop ends the session: the running turn is interrupted, queued messages dropped, no more turns', async () => {
    const { session, watch: w } = await start('/hang');
    await w.waitFor((event) => event.type === 'turn_started', 'turn 1 to start');
    await client.call('session_send', { session: session.id, prompt: 'never runs' });
    assert.deepEqual(await client.call('session_stop', { session: session.id }), { ok: true });
    const stopped = await w.waitFor((event) => event.type === 'session_stopped', 'session_stopped');
    assert.equal(stopped.type === 'session_stopped' && stopped.payload.reason, 'stopped by the user');
    const end = only(w.events, 'turn_interrupted', 1);
    assert.ok(end.seq < stopped.seq, w.summary());
    const state = await get(session.id);
    assert.equal(state.status, 'stopped');
    assert.equal(state.queued, 0);
    assert.equal(state.turns, 1);

    await rejectsWith(
      client.call('session_send', { session: session.id, prompt: 'hello?' }),
      'EINVAL',
      new RegExp(`Session ${session.id} is stopped and takes no more messages`),
    );
    // Stopping again is harmless and says nothing new.
    assert.deepEqual(await client.call('session_stop', { session: session.id }), { ok: true });
    assert.deepEqual(await client.call('session_interrupt', { session: session.id }), {
      ok: true,
      interrupted: false,
    });
    const history = (await client.call('session_events', { session: session.id })).events;
    assert.equal(ofType(history, 'session_stopped').length, 1);
    assert.deepEqual(w.events, history);
    assert.equal(ofType(history, 'turn_started').length, 1, 'the queued message never ran');
    assert.equal(history.at(-1)!.type, 'session_stopped');
    assertConsecutive(history);
  });

  it('refuses a message that arrives while the session is being stopped, and stops once', async () => {
    const { session, watch: w } = await start('/hang');
    await w.waitFor((event) => event.type === 'turn_started', 'turn 1 to start');
    // All three requests go out in one write: the send and the second stop reach the daemon
    // while the first stop waits for the turn to end.
    const [stopped, sent, again] = await Promise.allSettled([
      client.call('session_stop', { session: session.id }),
      client.call('session_send', { session: session.id, prompt: 'sneaking in' }),
      client.call('session_stop', { session: session.id }),
    ]);
    assert.equal(stopped.status, 'fulfilled');
    assert.equal(again.status, 'fulfilled');
    if (sent.status === 'fulfilled')
      assert.fail(`a message sent during the stop was taken: ${JSON.stringify(sent.value)}`);
    assert.ok(sent.reason instanceof CortexError && sent.reason.code === 'EINVAL', String(sent.reason));
    assert.match(sent.reason.message, /is stopped and takes no more messages/);
    await w.waitFor((event) => event.type === 'session_stopped', 'session_stopped');
    const history = (await client.call('session_events', { session: session.id })).events;
    assert.deepEqual(
      history.map((event) => event.type),
      ['session_started', 'turn_started', 'turn_interrupted', 'session_stopped'],
    );
    const state = await get(session.id);
    assert.equal(state.status, 'stopped');
    assert.equal(state.turns, 1);
  });

  it('joins replay and live delivery without a gap or a duplicate while a turn streams', async () => {
    // 2000 agent messages in 100 bursts, each burst a few ms after the last: subscribers join mid-stream.
    const bursts = 100;
    const perBurst = 20;
    const total = 2 + bursts * perBurst + 1; // session_started, turn_started, messages, turn_completed
    const subscribers = await Promise.all([1, 2, 3, 4].map(() => daemon.connect()));
    extraClients.push(...subscribers);

    interface Joined {
      last_seq: number | undefined;
      events: SessionEvent[];
      done: Promise<void>;
    }
    const join = async (on: Client, id: string, afterSeq: number): Promise<Joined> => {
      const events: SessionEvent[] = [];
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`subscriber after ${afterSeq} never saw the end`)), GUARD_MS);
        finish = () => {
          clearTimeout(guard);
          resolve();
        };
      });
      on.onNotification('event', (event) => {
        if (event.session !== id) return;
        events.push(event);
        if (event.type === 'turn_completed') finish();
      });
      const { last_seq } = await on.call('subscribe', { topic: `session:${id}`, after: afterSeq });
      return { last_seq, events, done };
    };

    const prompt = Array.from({ length: bursts }, () => `/stream ${perBurst}`).join('\n');
    const { session } = await client.call('session_start', { workspace, provider: 'fake', prompt });
    started.push(session.id);
    const first = await join(subscribers[0]!, session.id, 0);
    const pacer = await watch(session.id);
    const at = (seq: number) => pacer.waitFor((event) => event.seq >= seq, `seq ${seq}`);
    await at(100);
    const second = await join(subscribers[1]!, session.id, 0);
    await at(900);
    const third = await join(subscribers[2]!, session.id, 0);
    const partial = await join(subscribers[3]!, session.id, 500);
    await Promise.all([first.done, second.done, third.done, partial.done]);
    assert.equal((await pacer.turnEnd(1)).seq, total);

    for (const [name, joined] of Object.entries({ first, second, third })) {
      assert.equal(joined.events.length, total, `${name}: ${joined.events.length} events`);
      assertConsecutive(joined.events);
      assert.ok((joined.last_seq ?? 0) <= total, `${name}: last_seq ${joined.last_seq}`);
    }
    assertConsecutive(partial.events, 501);
    assert.equal(partial.events.length, total - 500);
    assert.deepEqual(partial.events, first.events.slice(500));
    // The second subscriber joined mid-stream: part of what it got was replayed, the rest live.
    assert.ok(
      second.last_seq !== undefined && second.last_seq >= 100 && second.last_seq < total,
      `second joined at ${second.last_seq} of ${total}`,
    );
    assert.deepEqual(first.events, pacer.events);
    assert.deepEqual(second.events, pacer.events);
    assert.deepEqual(third.events, pacer.events);
    for (const [i, event] of ofType(pacer.events, 'agent_message').entries()) {
      assert.equal(event.payload.text, `message ${(i % perBurst) + 1} of ${perBurst}`);
    }

    // session_events pages through the same history.
    const paged: SessionEvent[] = [];
    const nexts: (number | null)[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await client.call('session_events', { session: session.id, after: afterSeq, limit: 500 });
      paged.push(...page.events);
      nexts.push(page.next);
      if (page.next === null) break;
      afterSeq = page.next;
    }
    assert.deepEqual(nexts, [500, 1000, 1500, 2000, null]);
    assert.deepEqual(paged, pacer.events);
    const tail = await client.call('session_events', { session: session.id, after: total - 3, limit: 3 });
    assert.deepEqual(
      tail.events.map((event) => event.seq),
      [total - 2, total - 1, total],
    );
    assert.equal(tail.next, total, 'a full page says where to go on');
    assert.deepEqual(await client.call('session_events', { session: session.id, after: total }), {
      events: [],
      next: null,
    });
    const middle = await client.call('session_events', { session: session.id, after: 41, limit: 7 });
    assert.deepEqual(middle.events, pacer.events.slice(41, 48));
    assert.equal(middle.next, 48);
  });

  it('refuses unknown sessions, bad params and other people’s sessions', async () => {
    const { session, watch: w } = await start('mine');
    await w.turnEnd(1);
    const unknown = 's_doesnotexist';
    await rejectsWith(
      client.call('session_get', { session: unknown }),
      'ENOTFOUND',
      /There is no session s_doesnotexist/,
    );
    await rejectsWith(client.call('session_send', { session: unknown, prompt: 'x' }), 'ENOTFOUND');
    await rejectsWith(client.call('session_interrupt', { session: unknown }), 'ENOTFOUND');
    await rejectsWith(client.call('session_stop', { session: unknown }), 'ENOTFOUND');
    await rejectsWith(client.call('session_events', { session: unknown }), 'ENOTFOUND');
    await rejectsWith(client.call('subscribe', { topic: `session:${unknown}`, after: 0 }), 'ENOTFOUND');
    await rejectsWith(
      client.call('session_start', { workspace: '/no/such/workspace', provider: 'fake' }),
      'ENOTFOUND',
      /There is no workspace/,
    );

    await rejectsWith(
      client.request('session_get', { session: 'not-a-session' }),
      'EINVAL',
      /a session id \(s_\.\.\.\)/,
    );
    await rejectsWith(client.request('session_send', { session: session.id, prompt: '' }), 'EINVAL', /prompt/);
    await rejectsWith(client.request('session_send', { session: session.id }), 'EINVAL', /prompt/);
    await rejectsWith(
      client.request('session_start', { workspace, provider: 'gpt-9', prompt: 'x' }),
      'EINVAL',
      /provider/,
    );
    await rejectsWith(client.request('session_events', { session: session.id, limit: 0 }), 'EINVAL', /limit/);
    await rejectsWith(client.request('session_events', { session: session.id, after: -1 }), 'EINVAL', /after/);
    await rejectsWith(client.request('workspace_add', { path: 'relative/dir' }), 'EINVAL', /absolute path/);

    // Another identity (a token, not an administrator) may not touch it.
    const { token } = await client.call('token_create', { name: 'mallory' });
    const other = await daemon.connect();
    extraClients.push(other);
    assert.deepEqual(await other.call('auth', { token }), { identity: 'mallory' });
    const denied = new RegExp(`mallory may not use session ${session.id}`);
    await rejectsWith(other.call('session_get', { session: session.id }), 'EACCES', denied);
    await rejectsWith(other.call('session_send', { session: session.id, prompt: 'hi' }), 'EACCES', denied);
    await rejectsWith(other.call('session_interrupt', { session: session.id }), 'EACCES', denied);
    await rejectsWith(other.call('session_stop', { session: session.id }), 'EACCES', denied);
    await rejectsWith(other.call('session_events', { session: session.id }), 'EACCES', denied);
    await rejectsWith(other.call('subscribe', { topic: `session:${session.id}`, after: 0 }), 'EACCES', denied);
    await rejectsWith(
      other.call('session_start', { workspace, provider: 'fake', prompt: 'x' }),
      'EACCES',
      /mallory may not use the workspace/,
    );
    assert.deepEqual((await other.call('session_list', {})).sessions, []);
    assert.deepEqual((await other.call('workspace_list', {})).workspaces, []);
    assert.equal((await get(session.id)).status, 'idle', 'nothing the other identity did changed it');
  });

  it('survives a daemon killed mid-turn: the turn is interrupted, the next one resumes', async () => {
    // The provider starts after the turn's snapshot; its first message proves it runs and has its resume ref.
    const { session, watch: w } = await start('hello\n/hang');
    await w.waitFor((event) => event.type === 'agent_message', 'the provider to be running');
    const before = await get(session.id);
    assert.equal(before.status, 'running');
    assert.match(before.resume_ref ?? '', /^fake-/);
    const seenBefore = w.events.length;

    client.close();
    await daemon.kill();
    daemon = await startDaemon({ home: daemon.home });
    client = await daemon.connect();

    const after = await get(session.id);
    assert.equal(after.status, 'interrupted');
    assert.equal(after.turns, 1);
    assert.equal(after.resume_ref, before.resume_ref);
    const w2 = await watch(session.id);
    const end = await w2.turnEnd(1);
    assert.equal(end.type, 'turn_interrupted', w2.summary());
    assert.match(end.type === 'turn_interrupted' ? end.payload.reason : '', /daemon/);
    assert.equal(end.seq, seenBefore + 1, 'numbering continues after the restart');

    assert.deepEqual(await client.call('session_send', { session: session.id, prompt: 'where were we?' }), {
      ok: true,
      turn: 2,
      queued: false,
    });
    assert.equal((await w2.turnEnd(2)).type, 'turn_completed', w2.summary());
    assert.equal(only(w2.events, 'turn_started', 2).payload.resumed, true);
    const resumed = await get(session.id);
    assert.equal(resumed.resume_ref, before.resume_ref, 'the same conversation');
    assert.equal(resumed.status, 'idle');
    assertConsecutive(w2.events);
    assert.deepEqual(w2.events.slice(0, seenBefore), w.events.slice(0, seenBefore));

    // The sessions from before the restart are all still listed.
    assert.deepEqual(
      (await client.call('session_list', {})).sessions.map((item) => item.id).sort(),
      [...started].sort(),
    );
    assert.deepEqual(
      (await client.call('session_list', { status: 'stopped' })).sessions.map((item) => item.status),
      ['stopped', 'stopped'],
    );
  });

  it('on a graceful daemon stop, interrupts the running turn once and says why', async () => {
    const { session, watch: w } = await start('/hang');
    await w.waitFor((event) => event.type === 'turn_started', 'turn 1 to start');
    client.close();
    assert.equal(await daemon.stop(), 0);
    daemon = await startDaemon({ home: daemon.home });
    client = await daemon.connect();
    const history = (await client.call('session_events', { session: session.id })).events;
    assert.deepEqual(
      history.map((event) => event.type),
      ['session_started', 'turn_started', 'turn_interrupted'],
      'one end for the turn: the restart adds none',
    );
    assert.equal(only(history, 'turn_interrupted').payload.reason, 'the daemon stopped');
    assert.equal((await get(session.id)).status, 'interrupted');
  });

  it('emits only event types that are documented', () => {
    const seen = new Set(watches.flatMap((item) => item.events.map((event) => event.type)));
    for (const type of seen) {
      assert.ok(EVENT_TYPES.includes(type), `${type} is not in EVENT_TYPES`);
      assert.ok(EVENT_DOCS[type].summary.length > 0, `${type} has no summary`);
    }
    assert.deepEqual(
      [...seen].sort(),
      [
        'agent_message',
        'command',
        'file_change',
        'session_started',
        'session_stopped',
        'turn_completed',
        'turn_diff',
        'turn_failed',
        'turn_interrupted',
        'turn_queued',
        'turn_started',
      ],
      'every type the fake provider and the session manager emit was seen',
    );
  });
});
