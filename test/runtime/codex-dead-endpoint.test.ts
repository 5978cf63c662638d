import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch, stalledMessage } from '../helpers/session-watch.js';

/** A loopback port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

/**
 * The real Codex CLI through the app-server with its model endpoint down (a
 * port that refuses connections) and Codex's own retries left at their
 * defaults, as a user's machine has them: the turn says it has stalled, says
 * Codex is trying again each time Codex reports it, and stops on interrupt.
 * (The mock's silent hold in codex-app-server.test.ts is the other dead
 * endpoint: one that accepts and never answers.)
 */
describe('codex with its model endpoint down', () => {
  const workspaceDir = tempDir('cortex-dead-endpoint-ws-');
  const codexHome = tempDir('cortex-dead-endpoint-home-');
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    const port = await closedPort();
    const codexArgs = [
      '-c',
      'model_provider=down',
      '-c',
      `model_providers.down={name="down",base_url="http://127.0.0.1:${port}/v1",wire_api="responses"}`,
      '-c',
      'sandbox_mode="workspace-write"',
    ];
    daemon = await startDaemon({
      env: { CORTEX_CODEX_ARGS: JSON.stringify(codexArgs), CODEX_HOME: codexHome.path },
      config: { turn_stall_ms: 3000 },
    });
    client = await daemon.connect();
  });
  after(async () => {
    client?.close();
    await cleanup(daemon);
    workspaceDir.remove();
    codexHome.remove();
  });

  it('gives a stalled notice and a retry notice while Codex retries, and the turn stops on interrupt', async () => {
    const workspace = (await client.call('workspace_add', { path: workspaceDir.path })).workspace.id;
    const { session } = await client.call('session_start', { workspace, provider: 'codex' });
    const watch = await SessionWatch.start(client, session.id, 0);
    await client.call('session_send', { session: session.id, prompt: 'is anyone there?' });

    const stalled = await watch.waitFor((event) => event.type === 'stalled', 'the stalled notice');
    assert.ok(stalled.type === 'stalled');
    assert.ok(stalled.payload.silent_ms >= 3000, String(stalled.payload.silent_ms));
    assert.equal(stalled.payload.message, stalledMessage('codex', stalled.payload.silent_ms));
    const retry = await watch.waitFor(
      (event) => event.type === 'error' && /trying again/.test(JSON.stringify(event.payload)),
      "Codex's retry, reported",
    );
    assert.equal(retry.turn, 1);
    assert.equal((await client.call('session_get', { session: session.id })).session.status, 'running');

    await client.call('session_interrupt', { session: session.id });
    assert.equal((await watch.turnEnd(1)).type, 'turn_interrupted', watch.summary());
    assert.equal((await client.call('session_get', { session: session.id })).session.status, 'interrupted');
  });
});
