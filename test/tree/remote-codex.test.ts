import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { MockModelServer } from '../fixtures/mock-model-server.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree } from './tree-helpers.js';

/**
 * The real Codex CLI on c, driven from a through b, against the local mock of
 * the model API: only the model is fake, and only c runs Codex.
 */
describe('a Codex session on another node', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tree-codex-');
  const codexHome = tempDir('cortex-tree-codex-home-');
  let mock: MockModelServer;
  let a: MeshNode;

  before(async () => {
    mock = await MockModelServer.start();
    [a] = await lineOfThree(mesh, (name) =>
      name === 'c'
        ? {
            env: { CORTEX_CODEX_ARGS: JSON.stringify(mock.codexArgs()), CODEX_HOME: codexHome.path },
            config: { interrupt_grace_ms: 1000 },
          }
        : {},
    );
  });
  after(async () => {
    await mesh.cleanup();
    await mock.close();
    repo.remove();
    codexHome.remove();
  });

  it('runs a turn with a command on c, its events streamed to a', async () => {
    mock.enqueue(
      { kind: 'exec', cmd: 'echo made-on-c > created.txt' },
      { kind: 'message', text: 'Created the file on c.' },
    );
    const { workspace } = await a.client.call('workspace_add', { path: repo.path, node: 'c' });
    const { session } = await a.client.call('session_start', {
      workspace: workspace.id,
      provider: 'codex',
      prompt: 'create a file',
      node: 'c',
    });
    const watch = await SessionWatch.start(a.client, session.id, 0);
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
    const commands = watch.ofTurn(1).filter((event) => event.type === 'command');
    assert.deepEqual(
      commands.map((event) => event.type === 'command' && event.payload.phase),
      ['started', 'completed'],
    );
    const message = watch.ofTurn(1).find((event) => event.type === 'agent_message');
    assert.equal(message?.type === 'agent_message' && message.payload.text, 'Created the file on c.');
    assert.equal(readFileSync(join(repo.path, 'created.txt'), 'utf8'), 'made-on-c\n');
    const { session: after } = await a.client.call('session_get', { session: session.id });
    assert.match(after.resume_ref ?? '', /^[0-9a-f-]{36}$/, 'the Codex thread id, read from a');
    await a.client.call('session_stop', { session: session.id });
  });
});
