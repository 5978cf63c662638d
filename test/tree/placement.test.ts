import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Session } from '../../src/protocol/runtime-types.js';
import { runCortex } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';
import { gitIn } from '../helpers/git-repo.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree } from './tree-helpers.js';

/** A node's figures as CORTEX_TEST_RESOURCES fakes them. */
const LOAD: Record<string, number> = { a: 9.5, b: 0.1, c: 2 };

/**
 * `cortex session start --node auto` (and `--node c`), as it ships: a — b — c, a past
 * placement_max_load (8) by its faked figures. The project's git remote is how
 * the same project is recognised on each node.
 */
describe('placing a session with --node auto', () => {
  const mesh = new TestMesh();
  const dirs = tempDir('cortex-tree-placement-');
  const source = gitRepo('cortex-tree-source-');
  const other = gitRepo('cortex-tree-other-');
  let a: MeshNode;
  let c: MeshNode;
  let bare: string;
  let otherBare: string;
  const cli = (node: MeshNode, ...args: string[]) => runCortex(['--home', node.daemon.home, ...args]);
  const cloneOf = (remote: string, name: string) => {
    gitIn(dirs.path, 'clone', '-q', remote, name);
    return join(realpathSync(dirs.path), name);
  };

  before(async () => {
    gitIn(dirs.path, 'clone', '-q', '--bare', source.path, 'app.git');
    gitIn(dirs.path, 'clone', '-q', '--bare', other.path, 'tool.git');
    bare = join(realpathSync(dirs.path), 'app.git');
    otherBare = join(realpathSync(dirs.path), 'tool.git');
    [a, , c] = await lineOfThree(mesh, (name) => ({
      env: { CORTEX_TEST_RESOURCES: JSON.stringify({ load: LOAD[name] }) },
      config: { workspace_root: join(realpathSync(dirs.path), `root-${name}`) },
    }));
    await c.client.call('workspace_add', { path: cloneOf(bare, 'app-on-c') });
  });
  after(async () => {
    await mesh.cleanup();
    for (const dir of [dirs, source, other]) dir.remove();
  });

  it('skips a, past the load threshold, for c, which has the project, and says why in the session', async () => {
    const here = cloneOf(bare, 'app-on-a');
    const started = await cli(a, 'session', 'start', '--node', 'auto', '--cwd', here, '--provider', 'fake', 'hello');
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    assert.match(started.stderr, /^on c: c has app \(ws_[a-z0-9]+\) and the lowest load/m);
    assert.match(started.stderr, /not a: load 9\.5 > placement_max_load 8/);
    assert.match(started.stderr, /not b: .*no workspace of app/);
    assert.equal((await c.client.call('session_get', { session: id })).session.id, id, 'it runs on c');

    const watch = await SessionWatch.start(a.client, id, 0);
    const placed = await watch.waitFor((event) => event.type === 'notice', 'the placement notice');
    assert.match(JSON.stringify(placed.payload), /placed on c by a: c has app/);
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed');
  });

  it('--node c runs the session on c, named outright; its approval is answered from a by id alone', async () => {
    const onC = cloneOf(bare, 'named-on-c');
    const started = await cli(
      a,
      'session',
      'start',
      '--node',
      'c',
      '--cwd',
      onC,
      '--provider',
      'fake',
      '--approval',
      'on-request',
      '/ask echo approved-from-a',
    );
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    assert.equal((await c.client.call('session_get', { session: id })).session.id, id, 'it runs on c');
    await assert.rejects(a.client.call('session_get', { session: id, node: 'a' }), { code: 'ENOTFOUND' });

    const watch = await SessionWatch.start(a.client, id, 0);
    await watch.waitFor((event) => event.type === 'approval_requested', 'the approval request, seen from a');
    // No --node: the id says where the session runs.
    const approved = await cli(a, 'session', 'approve', id);
    assert.equal(approved.code, 0, approved.stderr);
    const resolved = await watch.waitFor((event) => event.type === 'approval_resolved', 'the answer');
    assert.ok(resolved.type === 'approval_resolved');
    assert.equal(resolved.payload.decision, 'approved');
    assert.match(resolved.payload.by, /@a\b/, 'answered by a caller of a');
    await watch.waitFor(
      (event) => event.type === 'command' && JSON.stringify(event.payload).includes('approved-from-a'),
      'the command run on c',
    );
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed');
  });

  it('clones a project no node has onto the least loaded node that may take it, with --clone', async () => {
    const here = cloneOf(otherBare, 'tool-on-a');
    const refused = await cli(a, 'session', 'start', '--node', 'auto', '--cwd', here, '--provider', 'fake');
    assert.equal(refused.code, 10, refused.stderr);
    assert.match(
      refused.stderr,
      /: No node can take the session \(a: load 9\.5 > placement_max_load 8; b: no workspace/,
    );

    const started = await cli(
      a,
      'session',
      'start',
      '--json',
      '--node',
      'auto',
      '--clone',
      '--cwd',
      here,
      '--provider',
      'fake',
    );
    assert.equal(started.code, 0, started.stderr);
    const session = JSON.parse(started.stdout) as Session & { placed: { node: string; reason: string } };
    assert.equal(session.placed.node, 'b');
    assert.match(session.placed.reason, /b has no workspace of tool and clones/);
    const clone = join(realpathSync(dirs.path), 'root-b', 'tool');
    assert.ok(existsSync(join(clone, 'README.md')), 'cloned into b’s workspace root');
    const { workspaces } = await a.client.call('workspace_list', { node: 'b' });
    assert.deepEqual(
      workspaces.map((ws) => [ws.path, ws.project]),
      [[clone, 'tool']],
    );
  });
});
