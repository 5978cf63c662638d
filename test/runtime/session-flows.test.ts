import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { Session } from '../../src/protocol/runtime-types.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { type CliResult, runCortex } from '../helpers/cli.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch, stalledMessage } from '../helpers/session-watch.js';

/**
 * The flows of the codex provider, with the deterministic fake provider, through the CLI as `cortex` runs
 * them: approvals (approved, denied, for the session, by nobody else), streamed replies and output coalesced
 * in the log, steering, resume, queued messages and unanswered requests across daemon restarts, stalls and
 * timeouts.
 */

type EventOf<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;
const ofType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T, turn?: number) =>
  events.filter((event): event is EventOf<T> => event.type === type && (turn === undefined || event.turn === turn));

function assertOk(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what}: exit ${result.code}, stderr ${result.stderr}`);
}

/** A failure is one sentence on one line of stderr, and nothing on stdout. */
function assertFails(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, `exit code; stdout ${result.stdout} stderr ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^cortex [a-z]+: [^\n]+\n$/, 'one line on stderr');
  assert.match(result.stderr, message);
}

/** `cortex session events ID --follow` in the background: what it printed so far, and a wait for some text. */
class Follower {
  text = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters = new Set<() => void>();

  constructor(home: string, session: string) {
    this.child = spawn(process.execPath, [CORTEX_BIN, '--home', home, 'session', 'events', session, '--follow'], {
      env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '' },
    });
    this.child.stdin.end();
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.text += text;
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  until(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`never printed ${JSON.stringify(text)}:\n${this.text}`)), 30_000);
      const check = () => {
        if (!this.text.includes(text)) return;
        clearTimeout(guard);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

describe('the fake provider through the CLI: approvals, streaming, steering, resume, restarts', () => {
  const dir = tempDir('cortex-flows-');
  let daemon: DaemonHandle;
  let client: Client;
  const followers: Follower[] = [];
  const cli = (...args: string[]) => runCortex(['--home', daemon.home, ...args]);

  /** `session start` through the CLI; the session id, and a watch from its first event. */
  async function start(...args: string[]): Promise<{ id: string; watch: SessionWatch }> {
    const started = await cli('session', 'start', '--cwd', dir.path, '--provider', 'fake', ...args);
    assertOk(started, 'session start');
    const id = started.stdout.trim();
    return { id, watch: await SessionWatch.start(client, id, 0) };
  }

  const show = async (id: string) => JSON.parse((await cli('session', 'show', id, '--json')).stdout) as Session;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
  });
  after(async () => {
    for (const follower of followers) follower.stop();
    client.close();
    await cleanup(daemon);
    dir.remove();
  });

  it('asks before acting: approve runs the command, deny does not, --always approves for the session', async () => {
    const { id, watch } = await start('--approval', 'untrusted', '/ask echo approved > approved.txt');
    const asked = await watch.waitFor((event) => event.type === 'approval_requested', 'the approval request');
    assert.ok(asked.type === 'approval_requested');
    assert.deepEqual(
      { ...asked.payload, request: '' },
      {
        request: '',
        kind: 'command',
        item_id: 'item_0',
        cwd: dir.path,
        command: 'echo approved > approved.txt',
        changes: [],
        reason: 'the fake provider asks before acting',
      },
    );
    const request = asked.payload.request;
    const shown = await cli('session', 'show', id);
    assert.match(shown.stdout, /^status +running, waiting for an approval$/m);
    assert.match(shown.stdout, new RegExp(`^waiting +${request}: run echo approved > approved\\.txt \\(the fake`, 'm'));
    assert.match(
      (await cli('session', 'ls')).stdout,
      new RegExp(`^${id} +running, waiting for an approval +fake`, 'm'),
    );
    assert.equal(existsSync(join(dir.path, 'approved.txt')), false, 'nothing runs before the answer');

    // The client that started the session is long gone (every CLI call is a process of its own): the request waits.
    const approved = await cli('session', 'approve', id);
    assertOk(approved, 'session approve');
    assert.equal(approved.stdout, `${request} approved\n`);
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    assert.equal(readFileSync(join(dir.path, 'approved.txt'), 'utf8'), 'approved\n');
    assert.deepEqual(ofType(watch.events, 'approval_resolved')[0]?.payload, {
      request,
      decision: 'approved',
      by: (await client.call('status', {})).identity,
      reason: null,
    });
    assert.deepEqual((await show(id)).pending_approvals, []);

    assertOk(await cli('session', 'send', id, '/ask touch denied.txt'), 'session send');
    const second = await watch.waitFor((e) => e.type === 'approval_requested' && e.turn === 2, 'the second request');
    assert.ok(second.type === 'approval_requested');
    const denied = await cli('session', 'deny', id, second.payload.request, '--json');
    assertOk(denied, 'session deny');
    assert.deepEqual(JSON.parse(denied.stdout), { ok: true, request: second.payload.request, decision: 'denied' });
    assert.equal((await watch.turnEnd(2)).type, 'turn_completed', watch.summary());
    assert.equal(existsSync(join(dir.path, 'denied.txt')), false, 'the denied command never ran');
    assert.equal(ofType(watch.events, 'command', 2).at(-1)?.payload.status, 'declined');

    assertOk(await cli('session', 'send', id, '/ask-write notes.txt kept for later'), 'session send');
    const third = await watch.waitFor((e) => e.type === 'approval_requested' && e.turn === 3, 'the file change');
    assert.ok(third.type === 'approval_requested');
    assert.equal(third.payload.kind, 'file_change');
    assert.deepEqual(third.payload.changes, [{ path: 'notes.txt', kind: 'update', diff: '+kept for later\n' }]);
    const always = await cli('session', 'approve', id, '--always');
    assert.equal(always.stdout, `${third.payload.request} approved for session\n`);
    assert.equal((await watch.turnEnd(3)).type, 'turn_completed', watch.summary());
    assert.equal(readFileSync(join(dir.path, 'notes.txt'), 'utf8'), 'kept for later\n');

    assertFails(await cli('session', 'approve', id), 3, new RegExp(`Session ${id} is not waiting for an approval`));
    assertFails(await cli('session', 'deny', id, 'ap_nope00'), 3, /has no pending request ap_nope00/);
    assertFails(await cli('session', 'approve', id, 'not-a-request'), 2, /an approval request id \(ap_\.\.\.\)/);
    assertFails(await cli('session', 'start', '--approval', 'sometimes', 'x'), 2, /--approval must be one of/);
    assertFails(
      await cli('session', 'start', '--cwd', dir.path, '--provider', 'codex-exec', '--approval', 'untrusted', 'x'),
      2,
      /codex exec cannot ask for approvals/,
    );
  });

  it('streams a reply and command output as they come, coalesced in the log; replay shows the same text', async () => {
    const { id, watch } = await start('/say streamed words arrive one by one\n/wait');
    const follower = new Follower(daemon.home, id);
    followers.push(follower);
    // The turn waits after the reply: everything seen so far came before its end.
    await follower.until('streamed words arrive one by one');
    await watch.waitFor((event) => event.type === 'agent_message', 'the whole reply');
    assert.equal(ofType(watch.events, 'turn_completed').length, 0, 'the turn is still running');
    const pieces = ofType(watch.events, 'agent_message_delta').map((event) => event.payload.text);
    assert.ok(pieces.length >= 2, `several pieces: ${JSON.stringify(pieces)}`);
    assert.equal(pieces.join(''), 'streamed words arrive one by one');

    // A message steering the waiting turn joins it (no second turn), and the agent answers it there.
    const steered = await cli('session', 'send', id, '--steer', 'go on please');
    assertOk(steered, 'session send --steer');
    assert.equal(steered.stdout, 'added to turn 1\n');
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    assert.deepEqual(
      ofType(watch.events, 'agent_message').map((event) => event.payload.text),
      ['streamed words arrive one by one', 'Steered: go on please'],
    );
    const steer = ofType(watch.events, 'turn_steered')[0]!;
    assert.ok(steer.seq < ofType(watch.events, 'agent_message')[1]!.seq, 'the message comes before its answer');
    await follower.until('Steered: go on please');
    assert.match(follower.text, /^streamed words arrive one by one\n>> go on please\nSteered: go on please\n/m);

    // 10,000 pieces of a reply and a 10,000-line command output: a few rows each, the same text.
    assertOk(await cli('session', 'send', id, '/deltas 10000\n/run seq 1 10000', '--wait'), 'session send');
    const reply = ofType(watch.events, 'agent_message_delta', 2);
    const output = ofType(watch.events, 'command_output_delta', 2);
    assert.ok(reply.length <= 20, `${reply.length} reply rows for 10,000 pieces`);
    assert.ok(output.length <= 50, `${output.length} output rows for 10,000 lines`);
    const expectedReply = Array.from({ length: 10_000 }, (_, i) => `line ${i + 1}\n`).join('');
    assert.equal(reply.map((event) => event.payload.text).join(''), expectedReply);
    assert.equal(ofType(watch.events, 'agent_message', 2)[0]?.payload.text, expectedReply);
    const expectedOutput = Array.from({ length: 10_000 }, (_, i) => `${i + 1}\n`).join('');
    assert.equal(output.map((event) => event.payload.text).join(''), expectedOutput);
    const replayed = (await client.call('session_events', { session: id, after: 0, limit: 10_000 })).events;
    assert.deepEqual(replayed, watch.events, 'what a subscriber saw is what the log replays');

    const printed = await cli('session', 'events', id);
    assert.equal(printed.stdout.split('line 10000\n').length, 2, 'the reply printed once');
    assert.match(printed.stdout, /^\$ seq 1 10000\n {2}1\n {2}2\n[^]* {2}10000\n {2}\[exit 0\]$/m);
  });

  it('send --steer with no turn running starts one; a stopped session says how to resume, and resumes', async () => {
    const { id, watch } = await start('hello');
    await watch.turnEnd(1);
    const idle = await cli('session', 'send', id, '--steer', 'nothing runs');
    assertOk(idle, 'send --steer with no turn running');
    assert.equal(idle.stdout, 'turn 2\n', 'with no turn running it simply starts one');
    await watch.turnEnd(2);
    assertOk(await cli('session', 'stop', id), 'session stop');
    assertFails(
      await cli('session', 'send', id, 'hello?'),
      2,
      new RegExp(`cortex session resume ${id} starts it again`),
    );
    assertFails(await cli('session', 'resume', 's_nosuchsession'), 3, /There is no session/);

    const resumed = await cli('session', 'resume', id, 'welcome back', '--wait');
    assertOk(resumed, 'session resume');
    assert.equal(resumed.stdout, 'resumed: turn 3\n');
    assert.equal(ofType(watch.events, 'turn_started', 3)[0]?.payload.resumed, true, 'on the same conversation');
    assert.deepEqual(
      watch.events.filter((event) => event.type.startsWith('session_')).map((event) => event.type),
      ['session_started', 'session_stopped', 'session_resumed'],
    );
    assert.equal((await show(id)).status, 'idle');
    assertFails(await cli('session', 'resume', id), 2, /is not stopped \(it is idle\)/);
  });

  it('kill -9 with a request unanswered and messages queued: denied with an event, the queue runs after', async () => {
    const { id, watch } = await start('--approval', 'on-request', '/ask rm -rf important');
    const asked = await watch.waitFor((event) => event.type === 'approval_requested', 'the approval request');
    assert.ok(asked.type === 'approval_requested');
    assertOk(await cli('session', 'send', id, 'first queued'), 'send');
    assertOk(await cli('session', 'send', id, 'second queued'), 'send');
    await watch.waitFor((event) => event.type === 'turn_queued' && event.turn === 3, 'both queued');

    client.close();
    await daemon.kill();
    daemon = await startDaemon({ home: daemon.home });
    client = await daemon.connect();

    const after = await SessionWatch.start(client, id, 0);
    await after.turnEnd(3);
    const resolved = ofType(after.events, 'approval_resolved', 1)[0];
    assert.deepEqual(resolved?.payload, {
      request: asked.payload.request,
      decision: 'denied',
      by: 'cortex',
      reason: 'the daemon restarted before anyone answered',
    });
    const interrupted = ofType(after.events, 'turn_interrupted', 1)[0];
    assert.ok(interrupted !== undefined && resolved.seq < interrupted.seq, after.summary());
    assert.match(
      ofType(after.events, 'notice')
        .map((event) => event.payload.message)
        .join('\n'),
      /2 queued message\(s\) outlived the daemon restart and run now/,
    );
    assert.deepEqual(
      ofType(after.events, 'agent_message').map((event) => [event.turn, event.payload.text]),
      [
        [2, 'You said: first queued'],
        [3, 'You said: second queued'],
      ],
    );
    const state = await show(id);
    assert.deepEqual([state.status, state.queued, state.turns], ['idle', 0, 3]);
  });

  it('a graceful stop denies what waits and keeps the queue for the next start', async () => {
    const { id, watch } = await start('--approval', 'untrusted', '/ask touch never.txt');
    await watch.waitFor((event) => event.type === 'approval_requested', 'the approval request');
    assertOk(await cli('session', 'send', id, 'after the restart'), 'send');
    await watch.waitFor((event) => event.type === 'turn_queued', 'queued');
    client.close();
    assert.equal(await daemon.stop(), 0);
    daemon = await startDaemon({ home: daemon.home });
    client = await daemon.connect();
    const after = await SessionWatch.start(client, id, 0);
    await after.turnEnd(2);
    assert.equal(
      ofType(after.events, 'approval_resolved')[0]?.payload.reason,
      'the daemon stopped before anyone answered',
    );
    assert.equal(ofType(after.events, 'turn_interrupted', 1)[0]?.payload.reason, 'the daemon stopped');
    assert.equal(ofType(after.events, 'agent_message', 2)[0]?.payload.text, 'You said: after the restart');
    assert.equal(existsSync(join(dir.path, 'never.txt')), false);
  });
});

describe('stalls and timeouts, with the fake provider', () => {
  const dir = tempDir('cortex-stalls-');
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon({ config: { turn_stall_ms: 300, turn_timeout_ms: 2000 } });
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
    dir.remove();
  });

  async function start(prompt: string, approval?: 'untrusted') {
    const { workspace } = await client.call('workspace_add', { path: dir.path });
    const { session } = await client.call('session_start', { workspace: workspace.id, provider: 'fake', approval });
    const watch = await SessionWatch.start(client, session.id, 0);
    await client.call('session_send', { session: session.id, prompt });
    return { id: session.id, watch };
  }

  it('a silent turn gets one stalled notice per silence, then is interrupted at turn_timeout_ms, saying why', async () => {
    const waiting = await start('/ask true', 'untrusted');
    const asked = await waiting.watch.waitFor((event) => event.type === 'approval_requested', 'the request');
    const { watch } = await start('/hang');
    const stalled = await watch.waitFor((event) => event.type === 'stalled', 'the stalled notice');
    assert.ok(stalled.type === 'stalled');
    assert.ok(stalled.payload.silent_ms >= 300, String(stalled.payload.silent_ms));
    assert.equal(stalled.payload.message, stalledMessage('fake', stalled.payload.silent_ms));
    const end = await watch.turnEnd(1);
    assert.equal(end.type, 'turn_interrupted', watch.summary());
    assert.equal(
      end.type === 'turn_interrupted' && end.payload.reason,
      'The turn ran longer than turn_timeout_ms (2 s) and was interrupted.',
    );
    assert.equal(ofType(watch.events, 'stalled').length, 1, 'said once for one silence');
    // The session waiting for a person all this time neither stalled nor timed out.
    assert.deepEqual(
      waiting.watch.events.filter((event) => event.seq > asked.seq),
      [],
    );
    await client.call('session_approve', { session: waiting.id });
    assert.equal((await waiting.watch.turnEnd(1)).type, 'turn_completed', waiting.watch.summary());
  });
});
