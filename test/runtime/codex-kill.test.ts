import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ProviderName } from '../../src/protocol/runtime-types.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { processesMatching, whenRunning } from '../helpers/processes.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { MockModelServer } from '../fixtures/mock-model-server.js';

/**
 * A daemon killed with kill -9 in the middle of a turn whose command runs for a minute, then started again:
 * whatever Codex processes and commands its predecessor left are gone (checked in the process table), the
 * turn is marked interrupted with a notice saying what was stopped, and the next turn resumes the thread.
 */
describe('a daemon killed with kill -9 mid-turn leaves no orphan holding the thread', () => {
  const daemons: DaemonHandle[] = [];
  const mocks: MockModelServer[] = [];
  const dirs: { remove(): void }[] = [];

  after(async () => {
    for (const daemon of daemons) await cleanup(daemon);
    for (const mock of mocks) await mock.close();
    for (const dir of dirs) dir.remove();
  });

  for (const provider of ['codex', 'codex-exec'] as ProviderName[]) {
    it(`${provider}: the restarted daemon stops what was left, and the next turn works`, async () => {
      const mock = await MockModelServer.start();
      mocks.push(mock);
      const workspaceDir = tempDir('cortex-kill-ws-');
      const codexHome = tempDir('cortex-kill-home-');
      dirs.push(workspaceDir, codexHome);
      const env = { CORTEX_CODEX_ARGS: JSON.stringify(mock.codexArgs()), CODEX_HOME: codexHome.path };
      let daemon = await startDaemon({ env });
      daemons.push(daemon);
      let client = await daemon.connect();
      const { workspace } = await client.call('workspace_add', { path: workspaceDir.path });
      const marker = `cortex-kill-${provider}-${process.pid}-${Date.now()}`;
      mock.enqueue({ kind: 'exec', cmd: `echo ${marker}; sleep 60` });
      const { session } = await client.call('session_start', { workspace: workspace.id, provider, prompt: 'go' });
      const watch = await SessionWatch.start(client, session.id, 0);
      await watch.waitFor(
        (event) => event.type === 'command' && event.payload.phase === 'started',
        'the minute-long command to start',
      );
      await whenRunning(marker);
      // Codex's own processes name the mock's port on their command line.
      const codex = `127.0.0.1:${mock.port}`;
      assert.ok(processesMatching(codex).length > 0, 'Codex runs');

      client.close();
      await daemon.kill();
      const leftRunning = [...processesMatching(codex), ...processesMatching(marker)];
      if (provider === 'codex-exec') {
        // codex exec does not notice that the daemon died: without the sweep these would hold the thread.
        assert.ok(leftRunning.length > 0, 'codex exec outlives the daemon');
      }

      daemon = await startDaemon({ home: daemon.home, env });
      daemons.push(daemon);
      assert.deepEqual(processesMatching(codex), [], 'no Codex process is left');
      assert.deepEqual(processesMatching(marker), [], 'no command of the old turn is left');
      client = await daemon.connect();
      const after = await SessionWatch.start(client, session.id, 0);
      const end = await after.turnEnd(1);
      assert.equal(end.type, 'turn_interrupted', after.summary());
      // An app-server notices that its input closed and ends with its commands; codex exec needs the sweep.
      if (provider === 'codex-exec') {
        const notice = await after.waitFor(
          (event) => event.type === 'notice' && /predecessor left running/.test(event.payload.message),
          'the notice about stopped processes',
        );
        assert.ok(notice.seq < end.seq, 'said before the turn is marked interrupted');
      }

      mock.enqueue({ kind: 'message', text: 'Back after the crash.' });
      const asked = mock.requests.length;
      await client.call('session_send', { session: session.id, prompt: 'are you there?' });
      assert.equal((await after.turnEnd(2)).type, 'turn_completed', after.summary());
      assert.ok(mock.requests[asked]!.body.includes(marker), 'the same thread, with the interrupted turn in it');
      client.close();
    });
  }
});
