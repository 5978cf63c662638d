import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import type { CheckResult, WorktreeInfo } from '../../src/protocol/workspace-types.js';
import { runCortex } from '../helpers/cli.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { gitIn, makeRepo } from '../helpers/git-repo.js';
import { NotificationLog } from '../helpers/notifications.js';
import { SessionWatch } from '../helpers/session-watch.js';

describe('worktrees and checks', () => {
  const root = tempDir('cortex-worktrees-');
  const repo = join(root.path, 'app');
  let daemon: DaemonHandle;
  let client: Client;
  const cortex = (...args: string[]) => runCortex(['--home', daemon.home, ...args]);

  before(async () => {
    mkdirSync(repo);
    makeRepo(repo, { 'README.md': '# app\n', 'src/index.js': 'console.log(1);\n' });
    daemon = await startDaemon({ config: { checks_after_turn: true } });
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
    root.remove();
  });

  it('runs sessions in worktrees of their own, lists them with disk use, and removes a stopped one', async () => {
    const { workspace: main } = await client.call('workspace_add', { path: repo });
    const started = await Promise.all(
      ['one', 'two'].map((name) =>
        client.call('session_start', {
          workspace: main.id,
          provider: 'fake',
          worktree: true,
          prompt: `/write src/${name}.js made in worktree ${name}`,
        }),
      ),
    );
    const [first, second] = started.map((result) => result.session);
    assert.notEqual(first!.workspace, second!.workspace, 'each session has its own worktree');
    for (const session of [first!, second!]) await (await SessionWatch.start(client, session.id)).turnEnd(1);

    const { worktrees } = await client.call('worktree_list', {});
    assert.equal(worktrees.length, 2);
    const mine = worktrees.find((worktree: WorktreeInfo) => worktree.workspace === first!.workspace)!;
    assert.ok(mine.path.startsWith(join(repo, '.git', 'cortex-worktrees')), mine.path);
    assert.match(mine.branch ?? '', /^cortex\/app-[0-9a-f]{6}$/);
    assert.deepEqual([mine.parent, mine.repository, mine.dirty], [main.id, repo, 1]);
    assert.deepEqual(mine.sessions, [{ id: first!.id, status: 'idle' }]);
    assert.ok(mine.bytes > 0);
    assert.equal(readFileSync(join(mine.path, 'src/one.js'), 'utf8'), 'made in worktree one\n');
    assert.equal(existsSync(join(repo, 'src/one.js')), false, 'the main checkout is untouched');
    assert.equal(gitIn(repo, '--no-optional-locks', 'status', '--porcelain'), '', 'and its status clean');
    assert.match(gitIn(repo, 'branch', '--list', 'cortex/*'), new RegExp(mine.branch!.replace('/', '\\/')));
    const listed = await cortex('worktree', 'ls');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^WORKSPACE +BRANCH +SIZE +CHANGES +SESSIONS +PATH$/m);
    assert.ok(listed.stdout.includes(mine.path));

    const busy = await cortex('worktree', 'rm', mine.workspace);
    assert.equal(busy.code, 10, busy.stderr);
    assert.match(busy.stderr, new RegExp(`Session ${first!.id} still works in .* \\(idle\\); stop it first`));
    await client.call('session_stop', { session: first!.id });
    const dirty = await cortex('worktree', 'rm', mine.workspace);
    assert.equal(dirty.code, 6, dirty.stderr);
    assert.match(dirty.stderr, /has 1 uncommitted change\(s\); commit them, or remove it anyway with --force\./);
    const removed = await cortex('worktree', 'rm', mine.workspace, '--force');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `removed; branch ${mine.branch} kept\n`);
    assert.equal(existsSync(mine.path), false);
    assert.match(gitIn(repo, 'branch', '--list', 'cortex/*'), new RegExp(mine.branch!.replace('/', '\\/')));
    const { workspaces } = await client.call('workspace_list', {});
    assert.ok(!workspaces.some((workspace) => workspace.id === mine.workspace));
    assert.equal((await client.call('worktree_list', {})).worktrees.length, 1);
  });

  it('runs the project checks: exit code, duration and output tail, for the workspace or a session', async () => {
    const dir = join(root.path, 'checked');
    mkdirSync(dir);
    writeFileSync(join(dir, 'marker'), 'present\n');
    const { workspace } = await client.call('workspace_add', { path: dir, project: 'checked' });
    const none = await cortex('check', 'run', '--workspace', workspace.id);
    assert.equal(none.code, 3);
    assert.match(
      none.stderr,
      /Project checked has no checks: add one with cortex project set checked --check "npm test"\./,
    );

    const set = await cortex(
      'project',
      'set',
      'checked',
      '--check',
      'cat marker',
      '--check',
      'echo broken >&2; exit 3',
    );
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'project checked: cat marker; echo broken >&2; exit 3\n');
    assert.equal((await cortex('project', 'set', 'missing', '--check', 'true')).code, 3);

    const watcher = await daemon.connect();
    const log = new NotificationLog(watcher);
    await watcher.call('subscribe', { topic: `workspace:${workspace.id}` });
    const run = await cortex('check', 'run', '--workspace', workspace.id);
    assert.equal(run.code, 1, 'a failing check fails the command');
    assert.match(
      run.stdout,
      /^ok {3}cat marker {2}\(exit 0, \d+ ms\)\nFAIL echo broken >&2; exit 3 {2}\(exit 3, \d+ ms\)\nbroken\n$/,
    );
    await log.until(() => (log.of('check_result').length === 2 ? true : undefined), 'two check_result notifications');
    const [passed, failed] = log.of('check_result') as unknown as (CheckResult & { workspace: string })[];
    assert.deepEqual(
      [passed!.workspace, passed!.ok, passed!.exit_code, passed!.tail],
      [workspace.id, true, 0, 'present\n'],
    );
    assert.deepEqual([failed!.ok, failed!.exit_code, failed!.tail], [false, 3, 'broken\n']);
    assert.ok(failed!.duration_ms >= 0 && failed!.started > 0);
    watcher.close();

    // checks_after_turn is on for this daemon: each turn that completes runs them, as events of that turn.
    const { session } = await client.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: '/write marker changed by the agent',
    });
    const watch = await SessionWatch.start(client, session.id);
    await watch.turnEnd(1);
    const turn = watch.ofTurn(1).map((event) => event.type);
    assert.deepEqual(turn.slice(-4), ['turn_diff', 'check_result', 'check_result', 'turn_completed']);
    const after = watch
      .ofTurn(1)
      .filter((event): event is SessionEvent<'check_result'> => event.type === 'check_result');
    assert.deepEqual(
      after.map((event) => [event.payload.command, event.payload.ok, event.payload.tail]),
      [
        ['cat marker', true, 'changed by the agent\n'],
        ['echo broken >&2; exit 3', false, 'broken\n'],
      ],
    );

    const bySession = await client.call('check_run', { workspace: workspace.id, session: session.id });
    assert.equal(bySession.results.length, 2);
    const linked = await watch.waitFor(
      (event) => event.type === 'check_result' && event.seq > after[1]!.seq,
      'a check_result from check_run',
    );
    assert.equal(linked.turn, 1, "linked to the session's latest turn");
  });
});
