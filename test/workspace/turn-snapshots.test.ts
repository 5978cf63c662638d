import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { gitIn } from '../helpers/git-repo.js';
import { SessionWatch } from '../helpers/session-watch.js';

/** The paths a turn's turn_diff event lists, or none when the turn has none (it changed nothing seen). */
function diffPaths(events: SessionEvent[]): string[] {
  const diff = events.find((event) => event.type === 'turn_diff');
  return diff?.type === 'turn_diff' ? diff.payload.files.map((file) => file.path) : [];
}

/**
 * Each turn's snapshots need to know the workspace's repository (its objects and
 * `info/exclude`; outside git, `node_modules` is left out). The daemon remembers
 * where it is instead of asking `git rev-parse` at every snapshot, so this test
 * guards the remembering: a repository made or removed between turns, in a
 * directory above the workspace, is seen by the next turn's snapshots.
 */
describe('turn snapshots follow the workspace in and out of git', () => {
  const root = tempDir('cortex-turn-snapshots-');
  const parent = join(root.path, 'project');
  const workspacePath = join(parent, 'app');
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    mkdirSync(workspacePath, { recursive: true });
    daemon = await startDaemon();
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
    root.remove();
  });

  it('leaves node_modules out outside git, counts it once the directory above is a repository, and not after', async () => {
    const { workspace } = await client.call('workspace_add', { path: workspacePath });
    const { session } = await client.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: '/write node_modules/a.js one\n/write one.txt one',
    });
    const watch = await SessionWatch.start(client, session.id);
    await watch.turnEnd(1);
    assert.deepEqual(diffPaths(watch.ofTurn(1)), ['one.txt'], 'outside git, node_modules is left out');

    gitIn(parent, 'init', '--quiet');
    await client.call('session_send', { session: session.id, prompt: '/write node_modules/b.js two' });
    await watch.turnEnd(2);
    assert.deepEqual(diffPaths(watch.ofTurn(2)), ['node_modules/b.js'], 'in a repository that ignores nothing');

    rmSync(join(parent, '.git'), { recursive: true });
    await client.call('session_send', {
      session: session.id,
      prompt: '/write node_modules/c.js three\n/write three.txt three',
    });
    await watch.turnEnd(3);
    assert.deepEqual(diffPaths(watch.ofTurn(3)), ['three.txt'], 'outside git again');
  });
});
