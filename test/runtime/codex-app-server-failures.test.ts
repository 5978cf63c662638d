import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { processesMatching, whenGone } from '../helpers/processes.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { MockModelServer } from '../fixtures/mock-model-server.js';

/**
 * An app-server that answers the handshake and starts turns, then misbehaves as the script says: a stand-in
 * for codex, since the real one cannot be made to ignore an interrupt or to panic. It logs what it was sent.
 */
function standIn(path: string, behaviour: 'ignore-interrupt' | 'panic-in-turn'): void {
  writeFileSync(
    path,
    `#!/usr/bin/env node
const send = (message) => process.stdout.write(JSON.stringify(message) + '\\n');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line);
  const answer = (result) => send({ id: message.id, result });
  switch (message.method) {
    case 'initialize': return answer({ userAgent: 'stand-in', codexHome: '/tmp', platformFamily: 'unix', platformOs: 'linux' });
    case 'thread/start':
    case 'thread/resume':
      return answer({ thread: { id: 'stand-in-thread' } });
    case 'turn/start':
      answer({ turn: { id: 'turn-1', items: [], status: 'inProgress', error: null } });
      send({ method: 'item/completed', params: { threadId: 'stand-in-thread', turnId: 'turn-1', item: { type: 'agentMessage', id: 'm1', text: 'working' } } });
      ${
        behaviour === 'panic-in-turn'
          ? `process.stderr.write("thread 'tokio-runtime-worker' panicked at core/src/state.rs:88:14:\\nrollout file is locked by another writer\\nstack backtrace:\\n   0: rust_begin_unwind\\n  11: <unknown>\\n");
      process.exit(101);`
          : 'return;'
      }
    case 'turn/interrupt': return; // never answered
  }
});
`,
  );
  chmodSync(path, 0o755);
}

describe('an app-server that misbehaves', () => {
  const dir = tempDir('cortex-app-server-bad-');
  let daemon: DaemonHandle | undefined;
  let client: Client | undefined;
  after(async () => {
    client?.close();
    await cleanup(daemon);
    dir.remove();
  });

  async function turnWith(name: string, behaviour: 'ignore-interrupt' | 'panic-in-turn') {
    const binary = join(dir.path, name);
    standIn(binary, behaviour);
    client?.close();
    await cleanup(daemon);
    daemon = await startDaemon({ env: { CORTEX_CODEX_BIN: binary }, config: { interrupt_grace_ms: 300 } });
    client = await daemon.connect();
    const { workspace } = await client.call('workspace_add', { path: dir.path });
    const { session } = await client.call('session_start', { workspace: workspace.id, provider: 'codex' });
    const watch = await SessionWatch.start(client, session.id, 0);
    await client.call('session_send', { session: session.id, prompt: 'go' });
    return { id: session.id, watch, binary };
  }

  it('ignores turn/interrupt: the process group is signalled after interrupt_grace_ms, the turn ends', async () => {
    const { id, watch, binary } = await turnWith('stubborn-codex', 'ignore-interrupt');
    await watch.waitFor((event) => event.type === 'agent_message', 'the turn to run in the app-server');
    assert.ok(processesMatching(binary).length > 0);
    await client!.call('session_interrupt', { session: id });
    const end = await watch.turnEnd(1);
    assert.equal(end.type, 'turn_interrupted', watch.summary());
    assert.equal(end.type === 'turn_interrupted' && end.payload.reason, 'interrupted by the user');
    // Only the signals stop it: it would have gone on running after a turn/interrupt it ignores.
    await whenGone(binary);
  });

  it('panics mid-turn: the turn fails with the panic message, one sentence, and the next turn starts a new one', async () => {
    const { id, watch } = await turnWith('panicking-codex', 'panic-in-turn');
    const end = await watch.turnEnd(1);
    assert.equal(end.type, 'turn_failed', watch.summary());
    assert.equal(
      end.type === 'turn_failed' && end.payload.error,
      'The Codex app-server exited with code 101: Codex crashed: rollout file is locked by another writer',
    );
    assert.match(
      watch.events.find((event): event is Extract<SessionEvent, { type: 'notice' }> => event.type === 'notice')?.payload
        .message ?? '',
      /Another Codex client .* holds this thread/,
    );
    await client!.call('session_send', { session: id, prompt: 'again' });
    assert.equal((await watch.turnEnd(2)).type, 'turn_failed', 'a new app-server ran the turn (and panicked again)');
  });
});

/**
 * The app-server's life: stopped after codex_idle_ms without a turn, killed from outside between turns;
 * either way the next message starts a new one that resumes the thread.
 */
describe('the app-server between turns', () => {
  const workspaceDir = tempDir('cortex-app-server-life-');
  const codexHome = tempDir('cortex-app-server-life-home-');
  let mock: MockModelServer;
  let daemon: DaemonHandle;
  let client: Client;
  after(async () => {
    client.close();
    await cleanup(daemon);
    await mock.close();
    workspaceDir.remove();
    codexHome.remove();
  });

  it('stops when idle and when killed, and the next turn resumes the thread in a new one', async () => {
    mock = await MockModelServer.start();
    daemon = await startDaemon({
      env: { CORTEX_CODEX_ARGS: JSON.stringify(mock.codexArgs()), CODEX_HOME: codexHome.path },
      config: { codex_idle_ms: 3000 },
    });
    client = await daemon.connect();
    const { workspace } = await client.call('workspace_add', { path: workspaceDir.path });
    mock.enqueue({ kind: 'message', text: 'The word is quince.' });
    const { session } = await client.call('session_start', {
      workspace: workspace.id,
      provider: 'codex',
      prompt: 'pick a word',
    });
    const watch = await SessionWatch.start(client, session.id, 0);
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    const codex = `127.0.0.1:${mock.port}`;
    assert.ok(processesMatching(codex).length > 0, 'kept after the turn');
    await whenGone(codex);

    mock.enqueue({ kind: 'message', text: 'It was quince.' });
    const asked = mock.requests.length;
    await client.call('session_send', { session: session.id, prompt: 'which word?' });
    assert.equal((await watch.turnEnd(2)).type, 'turn_completed', watch.summary());
    assert.ok(mock.requests[asked]!.body.includes('The word is quince.'), 'a new app-server, the same thread');

    // Killed from outside right after the turn (well within codex_idle_ms).
    const [server] = processesMatching(codex);
    assert.ok(server !== undefined, 'kept after the turn');
    process.kill(server.pid, 'SIGKILL');
    await whenGone(codex);
    mock.enqueue({ kind: 'message', text: 'Still quince.' });
    const again = mock.requests.length;
    await client.call('session_send', { session: session.id, prompt: 'and now?' });
    assert.equal((await watch.turnEnd(3)).type, 'turn_completed', watch.summary());
    assert.ok(mock.requests[again]!.body.includes('It was quince.'), 'after the kill too');
  });
});
