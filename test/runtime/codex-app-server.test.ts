import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { processesMatching, whenGone } from '../helpers/processes.js';
import { SessionWatch, stalledMessage } from '../helpers/session-watch.js';
import { MockModelServer } from '../fixtures/mock-model-server.js';

type EventOf<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;
const ofType = <T extends SessionEvent['type']>(events: SessionEvent[], type: T, turn?: number) =>
  events.filter((event): event is EventOf<T> => event.type === type && (turn === undefined || event.turn === turn));

/**
 * The codex provider: the real Codex CLI (the pinned @openai/codex) as `codex app-server`, one per session,
 * driven by a real daemon against a local mock of the model API. Only the model is fake; every wait is on an
 * event (the mock's gates let a test decide when the model goes on).
 */
describe('codex sessions through the app-server, against the real Codex CLI', () => {
  const workspaceDir = tempDir('cortex-app-server-ws-');
  const codexHome = tempDir('cortex-app-server-home-');
  let mock: MockModelServer;
  let daemon: DaemonHandle;
  let client: Client;
  let workspace: string;

  before(async () => {
    mock = await MockModelServer.start();
    daemon = await startDaemon({
      env: { CORTEX_CODEX_ARGS: JSON.stringify(mock.codexArgs()), CODEX_HOME: codexHome.path },
      config: { interrupt_grace_ms: 2000, turn_stall_ms: 3000 },
    });
    client = await daemon.connect();
    workspace = (await client.call('workspace_add', { path: workspaceDir.path })).workspace.id;
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
    await mock.close();
    workspaceDir.remove();
    codexHome.remove();
  });

  async function start(options: { prompt?: string; approval?: 'untrusted' | 'never'; sandbox?: 'read-only' } = {}) {
    const { session } = await client.call('session_start', {
      workspace,
      provider: 'codex',
      approval: options.approval,
      options: options.sandbox ? { sandbox: options.sandbox } : undefined,
    });
    const watch = await SessionWatch.start(client, session.id, 0);
    if (options.prompt !== undefined)
      await client.call('session_send', { session: session.id, prompt: options.prompt });
    return { id: session.id, watch };
  }

  it('streams a reply in several deltas, each visible before the turn ends; the log replays the same text', async () => {
    mock.enqueue({ kind: 'stream', pieces: ['Hello', ' from', ' the stream'], gated: true });
    const { id, watch } = await start({ prompt: 'stream something' });
    const delta = (text: string) =>
      watch.waitFor((event) => event.type === 'agent_message_delta' && event.payload.text === text, `delta ${text}`);
    await delta('Hello');
    assert.ok(!watch.events.some((event) => event.type === 'turn_completed'), 'the first piece came before the end');
    mock.release();
    await delta(' from');
    assert.ok(!watch.events.some((event) => event.type === 'agent_message'), 'pieces stream before the message');
    mock.release();
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    const pieces = ofType(watch.events, 'agent_message_delta').map((event) => event.payload.text);
    assert.deepEqual(pieces, ['Hello', ' from', ' the stream']);
    const [message] = ofType(watch.events, 'agent_message');
    assert.equal(message?.payload.text, 'Hello from the stream');
    assert.equal(message?.payload.item_id, ofType(watch.events, 'agent_message_delta')[0]!.payload.item_id);
    const replayed = (await client.call('session_events', { session: id })).events;
    assert.deepEqual(replayed, watch.events, 'a reader that replays sees what subscribers saw');
    const { session } = await client.call('session_get', { session: id });
    assert.equal(session.usage.input_tokens, 100);
    assert.match(session.resume_ref ?? '', /^[0-9a-f-]{36}$/, 'the Codex thread id');
  });

  it('asks before running a command: approved, it runs; denied, it does not', async () => {
    mock.enqueue({ kind: 'exec', cmd: 'echo approved-run > approved.txt' }, { kind: 'message', text: 'Ran it.' });
    const { id, watch } = await start({ prompt: 'make approved.txt', approval: 'untrusted' });
    const asked = await watch.waitFor((event) => event.type === 'approval_requested', 'the approval request');
    assert.ok(asked.type === 'approval_requested');
    assert.equal(asked.payload.kind, 'command');
    assert.match(asked.payload.command ?? '', /echo approved-run > approved\.txt/);
    assert.equal(asked.payload.cwd, workspaceDir.path);
    assert.match(asked.payload.request, /^ap_[a-z0-9]+$/);
    const started = ofType(watch.events, 'command', 1);
    assert.equal(started[0]?.payload.phase, 'started', 'the command shows before its approval');
    const waiting = (await client.call('session_get', { session: id })).session;
    assert.equal(waiting.status, 'running');
    assert.deepEqual(
      waiting.pending_approvals.map((pending) => [pending.request, pending.kind, pending.turn]),
      [[asked.payload.request, 'command', 1]],
    );
    assert.deepEqual(await client.call('session_approve', { session: id }), {
      ok: true,
      request: asked.payload.request,
      decision: 'approved',
    });
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    assert.equal(readFileSync(join(workspaceDir.path, 'approved.txt'), 'utf8'), 'approved-run\n');
    const [resolved] = ofType(watch.events, 'approval_resolved', 1);
    assert.deepEqual(resolved?.payload, {
      request: asked.payload.request,
      decision: 'approved',
      by: (await client.call('status', {})).identity,
      reason: null,
    });
    assert.deepEqual((await client.call('session_get', { session: id })).session.pending_approvals, []);

    mock.enqueue({ kind: 'exec', cmd: 'touch denied.txt' }, { kind: 'message', text: 'Fine, I will not.' });
    await client.call('session_send', { session: id, prompt: 'make denied.txt' });
    const second = await watch.waitFor(
      (event) => event.type === 'approval_requested' && event.turn === 2,
      'the second approval request',
    );
    assert.ok(second.type === 'approval_requested');
    const denied = await client.call('session_deny', { session: id, request: second.payload.request });
    assert.equal(denied.decision, 'denied');
    assert.equal((await watch.turnEnd(2)).type, 'turn_completed', watch.summary());
    assert.equal(existsSync(join(workspaceDir.path, 'denied.txt')), false, 'the denied command never ran');
    const ended = ofType(watch.events, 'command', 2).find((event) => event.payload.phase === 'completed');
    assert.equal(ended?.payload.status, 'declined');
    assert.equal(ofType(watch.events, 'agent_message', 2)[0]?.payload.text, 'Fine, I will not.');
  });

  it('asks before changing a file, with the diff; approved, the file is written', async () => {
    const patch = '*** Begin Patch\n*** Add File: patched.txt\n+written by the patch\n*** End Patch\n';
    mock.enqueue({ kind: 'patch', patch }, { kind: 'message', text: 'Patched.' });
    const { id, watch } = await start({ prompt: 'add patched.txt', approval: 'untrusted', sandbox: 'read-only' });
    const asked = await watch.waitFor((event) => event.type === 'approval_requested', 'the approval request');
    assert.ok(asked.type === 'approval_requested');
    assert.equal(asked.payload.kind, 'file_change');
    assert.equal(asked.payload.command, null);
    assert.deepEqual(
      asked.payload.changes.map((change) => [change.path, change.kind, change.diff]),
      [[join(workspaceDir.path, 'patched.txt'), 'add', 'written by the patch\n']],
    );
    assert.equal(existsSync(join(workspaceDir.path, 'patched.txt')), false, 'nothing is written before the answer');
    assert.deepEqual(
      (await client.call('session_get', { session: id })).session.pending_approvals.map((pending) => pending.paths),
      [[join(workspaceDir.path, 'patched.txt')]],
    );
    await client.call('session_approve', { session: id, request: asked.payload.request });
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    assert.equal(readFileSync(join(workspaceDir.path, 'patched.txt'), 'utf8'), 'written by the patch\n');
  });

  it('steers a running turn: the message joins it, and the model gets it in the same turn', async () => {
    mock.enqueue(
      { kind: 'stream', pieces: ['Working', ' on it.'], gated: true },
      { kind: 'message', text: 'Adding the tests too.' },
    );
    const { id, watch } = await start({ prompt: 'write the code' });
    await watch.waitFor((event) => event.type === 'agent_message_delta', 'the first piece');
    const asked = mock.requests.length;
    const sent = await client.call('session_send', { session: id, prompt: 'and add tests', steer: true });
    assert.deepEqual(sent, { ok: true, turn: 1, queued: false, steered: true });
    mock.release();
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    // Codex drops the answer it was streaming and asks the model again, with the new message, in the same turn.
    assert.equal(mock.requests.length, asked + 1, 'the model was asked again within the turn');
    assert.ok(mock.requests.at(-1)!.body.includes('and add tests'), 'with the steering message');
    assert.deepEqual(
      ofType(watch.events, 'turn_steered').map((event) => [event.turn, event.payload.prompt]),
      [[1, 'and add tests']],
    );
    assert.deepEqual(
      ofType(watch.events, 'agent_message').map((event) => [event.turn, event.payload.text]),
      [[1, 'Adding the tests too.']],
    );
    assert.equal(ofType(watch.events, 'turn_started').length, 1, 'no second turn');
  });

  it('interrupts a running command through turn/interrupt: the turn ends and the command is gone', async () => {
    const marker = `cortex-interrupt-${process.pid}-${Date.now()}`;
    // Codex 0.169.0 streams no delta for output written as the command starts (with a shell that starts
    // quickly the first line is only in the final output), so the command keeps printing until interrupted.
    mock.enqueue({ kind: 'exec', cmd: `for i in $(seq 600); do echo ${marker}; sleep 0.1; done` });
    const { id, watch } = await start({ prompt: 'run for a minute' });
    await watch.waitFor(
      (event) => event.type === 'command_output_delta' && event.payload.text.includes(marker),
      'the command to run and print',
    );
    assert.ok(processesMatching(marker).length > 0, 'the command runs');
    assert.deepEqual(await client.call('session_interrupt', { session: id }), { ok: true, interrupted: true });
    const end = await watch.turnEnd(1);
    assert.equal(end.type, 'turn_interrupted', watch.summary());
    assert.equal(end.type === 'turn_interrupted' && end.payload.reason, 'interrupted by the user');
    await whenGone(marker);
    mock.enqueue({ kind: 'message', text: 'Stopped, as you asked.' });
    await client.call('session_send', { session: id, prompt: 'ok' });
    assert.equal((await watch.turnEnd(2)).type, 'turn_completed', watch.summary());
    assert.ok(!daemon.stderr().includes(`session ${id}: The Codex app-server exited`), 'no signal was needed');
  });

  it('a dead model endpoint: the silent turn gets a stalled notice and can be interrupted', async () => {
    mock.enqueue({ kind: 'silent' });
    const { id, watch } = await start({ prompt: 'anyone there?' });
    await mock.whenHolding();
    const stalled = await watch.waitFor((event) => event.type === 'stalled', 'the stalled notice');
    assert.ok(stalled.type === 'stalled');
    assert.ok(stalled.payload.silent_ms >= 3000, String(stalled.payload.silent_ms));
    assert.equal(stalled.payload.message, stalledMessage('codex', stalled.payload.silent_ms));
    assert.equal((await client.call('session_get', { session: id })).session.status, 'running');
    await client.call('session_interrupt', { session: id });
    assert.equal((await watch.turnEnd(1)).type, 'turn_interrupted', watch.summary());
  });

  it('fails a turn the model API refuses with one sentence of Codex, and stays usable', async () => {
    mock.enqueue({ kind: 'error', status: 400, message: 'the mock refuses this request' });
    const { id, watch } = await start({ prompt: 'this will fail' });
    const end = await watch.turnEnd(1);
    assert.equal(end.type, 'turn_failed', watch.summary());
    const reason = end.type === 'turn_failed' ? end.payload.error : '';
    assert.match(reason, /the mock refuses this request/);
    assert.ok(!reason.includes('\n'), 'one line');
    mock.enqueue({ kind: 'message', text: 'Recovered.' });
    await client.call('session_send', { session: id, prompt: 'try again' });
    assert.equal((await watch.turnEnd(2)).type, 'turn_completed', watch.summary());
  });

  it('resumes a stopped session on its thread: the model sees the earlier conversation', async () => {
    mock.enqueue({ kind: 'message', text: 'First answer.' });
    const { id, watch } = await start({ prompt: 'remember the word kumquat' });
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    await client.call('session_stop', { session: id });
    mock.enqueue({ kind: 'message', text: 'You said kumquat.' });
    const before = mock.requests.length;
    const resumed = await client.call('session_resume', { session: id, prompt: 'what was the word?' });
    assert.equal(resumed.turn, 2);
    assert.equal(resumed.session.status, 'running');
    assert.equal((await watch.turnEnd(2)).type, 'turn_completed', watch.summary());
    const body = mock.requests[before]!.body;
    assert.ok(body.includes('remember the word kumquat') && body.includes('First answer.'), 'the same thread');
    assert.deepEqual(
      watch.events.map((event) => event.type).filter((type) => type.startsWith('session_')),
      ['session_started', 'session_stopped', 'session_resumed'],
    );
  });
});
