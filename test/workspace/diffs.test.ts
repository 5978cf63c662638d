import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { DiffFile } from '../../src/protocol/workspace-types.js';
import { runCortex } from '../helpers/cli.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { gitIn, makeRepo } from '../helpers/git-repo.js';
import { SessionWatch } from '../helpers/session-watch.js';

const LONG = Array.from({ length: 20 }, (_, i) => `line ${i + 1} of a file long enough to be recognised when renamed`);

/** What a repository's user sees of its state: the index file, stash, branches, refs and status. */
function userState(repo: string): string[] {
  return [
    readFileSync(join(repo, '.git', 'index')).toString('base64'),
    gitIn(repo, 'stash', 'list'),
    gitIn(repo, 'for-each-ref'),
    gitIn(repo, '--no-optional-locks', 'status', '--porcelain'),
  ];
}

const summary = (files: DiffFile[]) =>
  files.map((file) => [file.status, file.path, file.old_path, file.added, file.removed]);

describe('diffs: the work tree against HEAD, and per turn', () => {
  const root = tempDir('cortex-diffs-');
  let daemon: DaemonHandle;
  let client: Client;

  before(async () => {
    daemon = await startDaemon();
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await cleanup(daemon);
    root.remove();
  });

  it('parses modified, added, deleted and renamed files into hunks, untracked included, ignored not', async () => {
    const repo = join(root.path, 'repo');
    mkdirSync(repo);
    makeRepo(repo, {
      'a.txt': 'one\ntwo\nthree\n',
      'gone.txt': 'to be deleted\n',
      'rename-me.txt': `${LONG.join('\n')}\n`,
      '.gitignore': '*.log\n',
      'logo.bin': Buffer.from([0, 1, 2, 3]),
    });
    writeFileSync(join(repo, 'a.txt'), 'one\nTWO\nthree\nfour\n');
    rmSync(join(repo, 'gone.txt'));
    renameSync(join(repo, 'rename-me.txt'), join(repo, 'renamed.txt'));
    writeFileSync(join(repo, 'new.txt'), 'brand new\n');
    writeFileSync(join(repo, 'debug.log'), 'ignored\n');
    writeFileSync(join(repo, 'logo.bin'), Buffer.from([0, 9, 9, 9]));
    const before = userState(repo);
    const { workspace } = await client.call('workspace_add', { path: repo });

    const { diff } = await client.call('ws_diff', { workspace: workspace.id });
    assert.equal(diff.base, gitIn(repo, 'rev-parse', 'HEAD').trim());
    assert.deepEqual(summary(diff.files), [
      ['modified', 'a.txt', null, 2, 1],
      ['deleted', 'gone.txt', null, 0, 1],
      ['modified', 'logo.bin', null, 0, 0],
      ['added', 'new.txt', null, 1, 0],
      ['renamed', 'renamed.txt', 'rename-me.txt', 0, 0],
    ]);
    const byPath = new Map(diff.files.map((file: DiffFile) => [file.path, file]));
    assert.deepEqual(byPath.get('a.txt')!.hunks, [
      {
        old_start: 1,
        old_lines: 3,
        new_start: 1,
        new_lines: 4,
        header: '',
        lines: [' one', '-two', '+TWO', ' three', '+four'],
      },
    ]);
    assert.equal(byPath.get('logo.bin')!.binary, true);
    assert.deepEqual(byPath.get('new.txt')!.hunks[0]!.lines, ['+brand new']);
    assert.deepEqual(byPath.get('gone.txt')!.hunks[0]!.lines, ['-to be deleted']);
    assert.deepEqual([diff.added, diff.removed], [3, 2]);
    assert.deepEqual(userState(repo), before, "the user's index, stash, refs and status are untouched");

    const cli = await runCortex(['--home', daemon.home, 'diff', '--stat', '--workspace', workspace.id]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^renamed +\+0 -0 {2}rename-me\.txt => renamed\.txt$/m);
    assert.match(cli.stdout, /5 file\(s\) changed, \+3 -2/);
  });

  it('says clearly that a directory outside git has no HEAD, and diffs an unborn branch against nothing', async () => {
    const plain = join(root.path, 'plain');
    mkdirSync(plain);
    const { workspace } = await client.call('workspace_add', { path: plain });
    await assert.rejects(client.call('ws_diff', { workspace: workspace.id }), {
      code: 'EINVAL',
      message: `${plain} is not in a git repository: there is no HEAD to compare with.`,
    });
    const unborn = join(root.path, 'unborn');
    mkdirSync(unborn);
    gitIn(unborn, 'init', '--quiet');
    writeFileSync(join(unborn, 'first.txt'), 'first\n');
    const fresh = await client.call('workspace_add', { path: unborn });
    const { diff } = await client.call('ws_diff', { workspace: fresh.workspace.id });
    assert.equal(diff.base, null);
    assert.deepEqual(summary(diff.files), [['added', 'first.txt', null, 1, 0]]);
  });

  it('shows exactly what each turn changed, linked to its events, and reverts it', async () => {
    const repo = join(root.path, 'agent');
    mkdirSync(repo);
    makeRepo(repo, { 'README.md': '# agent\n', 'keep.txt': 'keep\n' });
    const before = userState(repo);
    const { workspace } = await client.call('workspace_add', { path: repo });
    const { session } = await client.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: '/write notes.txt first draft',
    });
    const watch = await SessionWatch.start(client, session.id);
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed');
    const types = watch.ofTurn(1).map((event) => event.type);
    assert.deepEqual(types.slice(-2), ['turn_diff', 'turn_completed'], 'the diff comes before the end of its turn');

    const one = (await client.call('session_turn_diff', { session: session.id, turn: 1 })).diff;
    assert.deepEqual(summary(one.files), [['added', 'notes.txt', null, 1, 0]]);
    assert.deepEqual(one.files[0]!.hunks[0]!.lines, ['+first draft']);
    const fileEvents = watch
      .ofTurn(1)
      .filter((event) => event.type === 'file_change')
      .map((event) => event.seq);
    assert.deepEqual(one.events, { 'notes.txt': fileEvents });
    assert.equal(one.event_seq, watch.ofTurn(1).find((event) => event.type === 'turn_diff')!.seq);

    // Someone else edits another file between the turns: that is not the turn's doing.
    writeFileSync(join(repo, 'keep.txt'), 'edited by a person\n');
    await client.call('session_send', { session: session.id, prompt: '/write notes.txt second draft' });
    await watch.turnEnd(2);
    const two = (await client.call('session_turn_diff', { session: session.id, turn: 2 })).diff;
    assert.deepEqual(summary(two.files), [['modified', 'notes.txt', null, 1, 1]]);
    assert.deepEqual(two.files[0]!.hunks[0]!.lines, ['-first draft', '+second draft']);

    const cli = await runCortex(['--home', daemon.home, 'diff', '--turn', `${session.id}:2`]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(
      cli.stdout,
      /^--- a\/notes\.txt\n\+\+\+ b\/notes\.txt\n@@ -1,1 \+1,1 @@\n-first draft\n\+second draft$/m,
    );

    const reverted = await client.call('ws_revert', { session: session.id, turn: 2, path: 'notes.txt' });
    assert.deepEqual(reverted.reverted, ['notes.txt']);
    assert.equal(readFileSync(join(repo, 'notes.txt'), 'utf8'), 'first draft\n');
    assert.equal(readFileSync(join(repo, 'keep.txt'), 'utf8'), 'edited by a person\n', 'only the turn is undone');
    // Turn 1 left notes.txt as it is again now: reverting it removes the file it added.
    const cliRevert = await runCortex(['--home', daemon.home, 'revert', session.id, '1']);
    assert.equal(cliRevert.code, 0, cliRevert.stderr);
    assert.equal(cliRevert.stdout, 'reverted notes.txt\n');
    assert.equal(existsSync(join(repo, 'notes.txt')), false);

    await client.call('session_send', { session: session.id, prompt: '/write README.md # rewritten by the agent' });
    await watch.turnEnd(3);
    execFileSync('sh', ['-c', 'echo changed again >> README.md'], { cwd: repo });
    await assert.rejects(client.call('ws_revert', { session: session.id, turn: 3 }), {
      code: 'ECONFLICT',
      message: 'README.md changed again since turn 3; nothing was reverted.',
    });
    assert.equal(readFileSync(join(repo, 'README.md'), 'utf8'), '# rewritten by the agent\nchanged again\n');
    await assert.rejects(client.call('ws_revert', { session: session.id, turn: 3, path: 'keep.txt' }), {
      code: 'ENOTFOUND',
      message: 'Turn 3 did not change keep.txt.',
    });
    await assert.rejects(client.call('session_turn_diff', { session: session.id, turn: 9 }), { code: 'ENOTFOUND' });
    const [index, stash, refs] = userState(repo);
    assert.deepEqual(
      [index, stash, refs],
      before.slice(0, 3),
      "snapshots never touched the user's index, stash or refs",
    );
  });
});
