import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { MockModelServer } from '../fixtures/mock-model-server.js';

/**
 * The codex-exec provider: the real Codex CLI (the pinned @openai/codex devDependency) run as `codex exec`
 * once per turn, driven by the daemon, talking to a local mock of the model API. Only the model is fake.
 */
describe('codex-exec sessions against the real Codex CLI', () => {
  const workspaceDir = tempDir('cortex-codex-ws-');
  const codexHome = tempDir('cortex-codex-home-');
  let mock: MockModelServer;
  let daemon: DaemonHandle;
  let client: Client;
  let sessionId: string;
  let watch: SessionWatch;

  const daemonEnv = () => ({
    CORTEX_CODEX_ARGS: JSON.stringify(mock.codexArgs()),
    CODEX_HOME: codexHome.path,
  });

  before(async () => {
    mock = await MockModelServer.start();
    daemon = await startDaemon({ env: daemonEnv(), config: { interrupt_grace_ms: 1000 } });
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
    await mock.close();
    workspaceDir.remove();
    codexHome.remove();
  });

  const types = (events: SessionEvent[]) => events.map((event) => event.type).filter((type) => type !== 'stderr');

  it('runs a plain message turn and keeps the thread id as the resume reference', async () => {
    mock.enqueue({ kind: 'message', text: 'Hello from the mock model' });
    const { workspace } = await client.call('workspace_add', { path: workspaceDir.path });
    const { session } = await client.call('session_start', {
      workspace: workspace.id,
      provider: 'codex-exec',
      prompt: 'say hello',
    });
    sessionId = session.id;
    watch = await SessionWatch.start(client, sessionId);
    const end = await watch.turnEnd(1);
    assert.equal(end.type, 'turn_completed', watch.summary());
    assert.deepEqual(types(watch.ofTurn(1)), ['turn_started', 'agent_message', 'turn_completed']);
    const message = watch.ofTurn(1).find((event) => event.type === 'agent_message');
    assert.equal(message?.type === 'agent_message' && message.payload.text, 'Hello from the mock model');
    if (end.type === 'turn_completed') assert.equal(end.payload.usage.input_tokens, 100);
    const { session: after } = await client.call('session_get', { session: sessionId });
    assert.match(after.resume_ref ?? '', /^[0-9a-f-]{36}$/, 'the Codex thread id');
    assert.equal(after.status, 'idle');
    assert.equal(after.usage.input_tokens, 100);
    assert.ok(mock.requests[0]!.body.includes('say hello'));
  });

  it('runs a command the model asks for, with command events and the file on disk', async () => {
    mock.enqueue(
      { kind: 'exec', cmd: 'echo made-by-codex > created.txt' },
      { kind: 'message', text: 'Created the file.' },
    );
    const { turn } = await client.call('session_send', { session: sessionId, prompt: 'create a file' });
    assert.equal(turn, 2);
    assert.equal((await watch.turnEnd(2)).type, 'turn_completed', watch.summary());
    const commands = watch.ofTurn(2).filter((event) => event.type === 'command');
    assert.deepEqual(
      commands.map((event) => event.type === 'command' && [event.payload.phase, event.payload.exit_code]),
      [
        ['started', null],
        ['completed', 0],
      ],
    );
    assert.match(commands[1]!.type === 'command' ? commands[1]!.payload.command : '', /echo made-by-codex/);
    assert.equal(readFileSync(join(workspaceDir.path, 'created.txt'), 'utf8'), 'made-by-codex\n');
  });

  it('resumes the same thread on the next turn: the model sees the earlier conversation', async () => {
    mock.enqueue({ kind: 'message', text: 'I remember.' });
    const before = mock.requests.length;
    await client.call('session_send', { session: sessionId, prompt: 'what did I ask first?' });
    assert.equal((await watch.turnEnd(3)).type, 'turn_completed', watch.summary());
    const started = watch.ofTurn(3).find((event) => event.type === 'turn_started');
    assert.equal(started?.type === 'turn_started' && started.payload.resumed, true);
    const body = mock.requests[before]!.body;
    assert.ok(
      body.includes('say hello') && body.includes('Hello from the mock model'),
      'earlier turns are in the request',
    );
    assert.ok(body.includes('what did I ask first?'));
  });

  it('interrupts a turn the model holds open, and the session stays usable', async () => {
    mock.enqueue({ kind: 'hold' });
    await client.call('session_send', { session: sessionId, prompt: 'take your time' });
    await mock.whenHolding();
    assert.deepEqual(await client.call('session_interrupt', { session: sessionId }), { ok: true, interrupted: true });
    const end = await watch.turnEnd(4);
    assert.equal(end.type, 'turn_interrupted');
    assert.equal((await client.call('session_get', { session: sessionId })).session.status, 'interrupted');
    mock.enqueue({ kind: 'message', text: 'Back again.' });
    await client.call('session_send', { session: sessionId, prompt: 'continue' });
    assert.equal((await watch.turnEnd(5)).type, 'turn_completed', watch.summary());
  });

  it("fails a turn the model API answers with HTTP 500, with the provider's message, and stays usable", async () => {
    mock.enqueue({ kind: 'error', status: 500, message: 'the mock model is down' });
    await client.call('session_send', { session: sessionId, prompt: 'this will fail' });
    const end = await watch.turnEnd(6);
    assert.equal(end.type, 'turn_failed', watch.summary());
    // Codex words a 500 in its own way ("...experiencing high demand..."); that sentence is what the user sees.
    const reason = end.type === 'turn_failed' ? end.payload.error : '';
    assert.ok(reason.length > 10, reason);
    assert.ok(
      watch.ofTurn(6).some((event) => event.type === 'error' && event.payload.message === reason),
      'the failure is the message Codex reported',
    );
    assert.equal((await client.call('session_get', { session: sessionId })).session.status, 'failed');
    mock.enqueue({ kind: 'message', text: 'Recovered.' });
    await client.call('session_send', { session: sessionId, prompt: 'try again' });
    assert.equal((await watch.turnEnd(7)).type, 'turn_completed', watch.summary());
  });

  it('continues the same conversation after a daemon restart', async () => {
    const { session: beforeRestart } = await client.call('session_get', { session: sessionId });
    client.close();
    assert.equal(await daemon.stop(), 0);
    daemon = await startDaemon({ home: daemon.home, env: daemonEnv(), config: { interrupt_grace_ms: 1000 } });
    client = await daemon.connect();
    const { session } = await client.call('session_get', { session: sessionId });
    assert.equal(session.resume_ref, beforeRestart.resume_ref);
    assert.equal(session.turns, 7);
    watch = await SessionWatch.start(client, sessionId, 0);
    assert.equal(watch.events.length > 0 && watch.events[0]!.seq, 1, 'the history replays from the first event');
    mock.enqueue({ kind: 'message', text: 'Still here after the restart.' });
    const before = mock.requests.length;
    await client.call('session_send', { session: sessionId, prompt: 'are you still there?' });
    assert.equal((await watch.turnEnd(8)).type, 'turn_completed', watch.summary());
    assert.ok(mock.requests[before]!.body.includes('say hello'), 'the resumed thread carries the first turn');
  });
});

/**
 * What the adapter makes of a Codex that misbehaves: stand-in binaries (shell
 * scripts) in place of codex, since the real one cannot be made to crash.
 */
describe('codex-exec failures become failed turns, never a crashed daemon', () => {
  const dir = tempDir('cortex-codex-bad-');
  let daemon: DaemonHandle | undefined;

  after(async () => {
    await cleanup(daemon);
    dir.remove();
  });

  async function runWith(binary: string, script?: string): Promise<SessionEvent[]> {
    if (script !== undefined) {
      writeFileSync(binary, `#!/bin/sh\n${script}\n`);
      chmodSync(binary, 0o755);
    }
    await cleanup(daemon);
    daemon = await startDaemon({ env: { CORTEX_CODEX_BIN: binary } });
    const client = await daemon.connect();
    try {
      const { workspace } = await client.call('workspace_add', { path: dir.path });
      const { session } = await client.call('session_start', {
        workspace: workspace.id,
        provider: 'codex-exec',
        prompt: 'hi',
      });
      const watch = await SessionWatch.start(client, session.id);
      await watch.turnEnd(1);
      assert.deepEqual(await client.call('ping', {}), { pong: true });
      return watch.events;
    } finally {
      client.close();
    }
  }

  const failure = (events: SessionEvent[]) => {
    const end = events.find((event) => event.type === 'turn_failed');
    assert.ok(end && end.type === 'turn_failed', events.map((event) => event.type).join(' '));
    return end.payload.error;
  };

  it('a missing binary', async () => {
    const events = await runWith(join(dir.path, 'no-such-codex'));
    assert.match(failure(events), /Could not run the Codex CLI .*no-such-codex/);
  });

  it('a crash with a non-zero exit: the last stderr line is the reason', async () => {
    const events = await runWith(join(dir.path, 'crash'), 'echo "fatal: something broke" >&2; exit 3');
    assert.match(failure(events), /fatal: something broke/);
    assert.ok(events.some((event) => event.type === 'stderr' && event.payload.text === 'fatal: something broke'));
  });

  it('a Rust panic with a backtrace: the panic message is the reason, never the last frame', async () => {
    const events = await runWith(
      join(dir.path, 'panic'),
      [
        `echo "thread 'main' panicked at codex-rs/core/src/codex.rs:211:9:" >&2`,
        'echo "thread 0199 already has an active writer" >&2',
        'echo "stack backtrace:" >&2',
        'echo "   0: std::panicking::begin_panic" >&2',
        'echo "  10: tokio::runtime::task::harness::poll" >&2',
        'echo "  11: <unknown>" >&2',
        'exit 101',
      ].join('; '),
    );
    assert.equal(failure(events), 'Codex crashed: thread 0199 already has an active writer');
    const notice = events.find((event) => event.type === 'notice');
    assert.match(notice?.type === 'notice' ? notice.payload.message : '', /Another Codex client .* holds this thread/);
  });

  it('output that is not JSON', async () => {
    const events = await runWith(join(dir.path, 'garbage'), 'echo "this is not json"; sleep 30');
    assert.match(failure(events), /not JSON: this is not json/);
  });

  // Each printf is one write, so the lines arrive in one read and are parsed together first.
  const line = (event: object) => `${JSON.stringify(event).replaceAll('"', '\\"')}\\n`;
  const message = (text: string) => line({ type: 'item.completed', item: { id: text, type: 'agent_message', text } });
  const texts = (events: SessionEvent[]) =>
    events.flatMap((event) => (event.type === 'agent_message' ? [event.payload.text] : []));

  it('a line that is JSON but not an object among good ones in one read: the lines before it count, none after', async () => {
    const start = line({ type: 'thread.started', thread_id: 't-1' }) + line({ type: 'turn.started' });
    const events = await runWith(
      join(dir.path, 'array-line'),
      `printf "${start}${message('one')}${message('two')}[1]\\n${message('three')}"; sleep 30`,
    );
    assert.match(failure(events), /not JSON: \[1\]$/);
    assert.deepEqual(texts(events), ['one', 'two']);
  });

  it('blank lines, CRLF endings and a line cut across writes in the middle of a character are read as one line each', async () => {
    const start = line({ type: 'thread.started', thread_id: 't-2' }) + line({ type: 'turn.started' });
    const end = line({ type: 'turn.completed', usage: { input_tokens: 1, output_tokens: 2 } });
    const euro = '\\342\\202\\254';
    const events = await runWith(
      join(dir.path, 'odd-lines'),
      [
        `printf "${start}\\n   \\n${message('one').replace('\\n', '\\r\\n')}"`,
        `printf '{"type":"item.completed","item":{"id":"two","type":"agent_message","text":"two ${euro.slice(0, 8)}'`,
        'sleep 0.2',
        `printf '${euro.slice(8)}"}}\\n'`,
        `printf "${end}"`,
      ].join('; '),
    );
    assert.ok(
      events.some((event) => event.type === 'turn_completed'),
      events.map((event) => event.type).join(' '),
    );
    assert.deepEqual(texts(events), ['one', 'two \u20ac']);
  });

  it('another client holding the thread: a clear notice, and the session stays usable', async () => {
    const events = await runWith(
      join(dir.path, 'busy'),
      'echo \'{"type":"thread.started","thread_id":"t-1"}\'; echo \'{"type":"error","message":"thread t-1 is locked by another process"}\'; exit 1',
    );
    assert.match(failure(events), /locked by another process/);
    const notice = events.find((event) => event.type === 'notice');
    assert.match(notice?.type === 'notice' ? notice.payload.message : '', /Another Codex client .* holds this thread/);
    assert.ok(!existsSync(join(dir.path, 'busy-never')));
  });

  it('an unknown event type is kept as a raw event', async () => {
    const events = await runWith(
      join(dir.path, 'novel'),
      'echo \'{"type":"thread.started","thread_id":"t-2"}\'; echo \'{"type":"something.new","x":1}\'; echo \'{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":2}}\'',
    );
    const raw = events.find((event) => event.type === 'raw');
    assert.equal(raw?.type === 'raw' && raw.payload.provider_type, 'something.new');
    assert.ok(events.some((event) => event.type === 'turn_completed'));
  });
});
