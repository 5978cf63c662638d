import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { connectTls } from '../../src/client/remote.js';
import type { CortexError } from '../../src/protocol/errors.js';
import { homePaths } from '../../src/paths.js';
import { initCa, tlsPaths } from '../../daemon/tls/certificate-authority.js';
import { asNobody, asUser, becomeUser, NOBODY } from '../helpers/as-nobody.js';
import { runCortex } from '../helpers/cli.js';
import { cleanup, CORTEX_BIN, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git-repo.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { TermOutput } from '../helpers/term-output.js';

/** What a terminal prints about whom it runs as. */
const WHO = 'echo "who=$(id -un) groups=$(id -G) home=$HOME"; exec sleep 600';

/** Opens a terminal through `client` and returns the line WHO printed, read by `viewer` (an administrator). */
async function whoInTerminal(client: Client, viewer: Client, workspace: string): Promise<string> {
  const { id } = await client.call('term_open', { workspace, command: ['sh', '-c', WHO] });
  const output = new TermOutput(viewer, id);
  const { scrollback } = await viewer.call('term_attach', { id });
  const line = /who=.*home=\S*/;
  // The line may have come before the attach (then it is in the scrollback) or after it.
  let found = line.exec(Buffer.from(scrollback).toString('utf8'));
  if (found === null) {
    await output.waitFor(line);
    found = line.exec(output.text);
  }
  await viewer.call('term_close', { id });
  return found![0];
}

/**
 * No user work as root: a root daemon runs terminals, sessions and checks as the
 * caller's local user (with that user's groups), and a caller with no local user
 * (a token or certificate nobody mapped) starts nothing. Attacks from a
 * non-administrator token over TLS, and from uid 65534 on the socket.
 */
describe('whom work runs as on a root daemon', () => {
  const root = tempDir('cortex-run-as-');
  const mine = join(root.path, 'nobody-ws');
  let daemon: DaemonHandle;
  let admin: Client;
  let token: string;
  let address: string;
  let caFile: string;
  const clients: Client[] = [];
  const asToken = async () => {
    const client = await connectTls({ address, ca: caFile, token });
    clients.push(client);
    return client;
  };
  const local = (...args: string[]) => runCortex(['--home', daemon.home, ...args]);

  before(async () => {
    // Root as a login gives it, with its supplementary group 0, which the daemon inherits and
    // must not hand on to anybody's programs.
    process.setgroups!([0]);
    chmodSync(root.path, 0o711);
    mkdirSync(mine);
    chownSync(mine, NOBODY, NOBODY);
    const home = tempDir('cortex-run-as-home-');
    await initCa(homePaths(home.path).configDir);
    daemon = await startDaemon({
      home: home.path,
      args: ['--listen', '127.0.0.1:0', '--group', 'nogroup', '--node-name', 'a'],
      config: { checks_after_turn: true },
    });
    address = /tls listening on (\S+)/.exec(daemon.stderr())![1]!;
    caFile = tlsPaths(homePaths(daemon.home).configDir).caCert;
    admin = await daemon.connect();
    token = (await admin.call('token_create', { name: 'ci' })).token;
  });
  after(async () => {
    for (const client of clients) client.close();
    for (const { id } of (await admin.call('term_list', {})).terminals) await admin.call('term_close', { id });
    admin.close();
    await cleanup(daemon);
    root.remove();
  });

  it('a token that maps to no local user starts nothing: no workspace, terminal, session or check', async () => {
    const ci = await asToken();
    const noUser = (error: CortexError) => {
      assert.equal(error.code, 'EACCES');
      assert.equal(
        error.message,
        'token:ci@a has no local user on a, so it may not run programs or use files here; an administrator can map it to one: cortex acl map token:ci@a USER.',
      );
      return true;
    };
    // The attack: register a directory, then open a shell in it (it was root's).
    await assert.rejects(
      (async () => {
        const { workspace } = await ci.call('workspace_add', { path: mine });
        return ci.call('term_open', { workspace: workspace.id, command: ['sh', '-c', 'id -un'] });
      })(),
      noUser,
    );
    assert.deepEqual((await ci.call('workspace_list', {})).workspaces, []);
    assert.deepEqual((await admin.call('term_list', {})).terminals, []);
  });

  it('a mapped token works as its local user: terminal, session, files and checks as nobody, with its groups', async () => {
    const mapped = await local('acl', 'map', 'token:ci', 'nobody');
    assert.equal(mapped.code, 0, mapped.stderr);
    const ci = await asToken();
    const { workspace } = await ci.call('workspace_add', { path: mine, project: 'mine' });
    assert.equal(await whoInTerminal(ci, admin, workspace.id), 'who=nobody groups=65534 home=/nonexistent');

    await admin.call('project_add', { name: 'mine', checks: ['echo "check by $(id -un)"'] });
    const { session } = await ci.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: '/run echo "turn by $(id -un) $(id -G)"\n/write made.txt by the turn',
    });
    const watch = await SessionWatch.start(admin, session.id);
    const end = await watch.turnEnd(1);
    assert.equal(end.type, 'turn_completed', JSON.stringify(watch.events));
    const command = watch.events.find((event) => event.type === 'command' && event.payload.phase === 'completed');
    assert.equal(command?.type === 'command' && command.payload.output, 'turn by nobody 65534\n');
    const check = watch.events.find((event) => event.type === 'check_result');
    assert.equal(check?.type === 'check_result' && check.payload.tail, 'check by nobody\n');
    const made = statSync(join(mine, 'made.txt'));
    assert.deepEqual([made.uid, made.gid], [NOBODY, NOBODY]);
    assert.equal(readFileSync(join(mine, 'made.txt'), 'utf8'), 'by the turn\n');
    const [result] = (await ci.call('check_run', { workspace: workspace.id })).results;
    assert.equal(result?.tail, 'check by nobody\n');
  });

  it('mapped onto another user, the token’s session runs its next turn as that user (asked every turn)', async () => {
    const ci = await asToken();
    const [session] = (await ci.call('session_list', {})).sessions;
    const remapped = await local('acl', 'map', 'token:ci', 'daemon');
    assert.equal(remapped.code, 0, remapped.stderr);
    const watch = await SessionWatch.start(admin, session!.id);
    const { turn } = await ci.call('session_send', { session: session!.id, prompt: '/run echo "turn by $(id -un)"' });
    const end = await watch.turnEnd(turn);
    assert.equal(end.type, 'turn_completed', JSON.stringify(watch.events));
    const command = watch.ofTurn(turn).find((event) => event.type === 'command' && event.payload.phase === 'completed');
    assert.equal(command?.type === 'command' && command.payload.output, 'turn by daemon\n');
    // session_started still records whom the session started as: a record, not what turns use.
    const [started] = (await admin.call('session_events', { session: session!.id, limit: 1 })).events;
    assert.equal(started?.type === 'session_started' && started.payload.run_as?.name, 'nobody');
  });

  it('unmapped, the token starts nothing more, and its session’s next turn is refused', async () => {
    const ci = await asToken();
    const [workspace] = (await ci.call('workspace_list', {})).workspaces;
    const [session] = (await ci.call('session_list', {})).sessions;
    assert.equal((await local('acl', 'unmap', 'token:ci')).code, 0);
    const noUser = { code: 'EACCES', message: /^token:ci@a has no local user on a/ };
    await assert.rejects(ci.call('term_open', { workspace: workspace!.id, command: ['id'] }), noUser);
    await assert.rejects(ci.call('session_send', { session: session!.id, prompt: '/run id' }), noUser);
    await assert.rejects(ci.call('check_run', { workspace: workspace!.id }), noUser);
    await assert.rejects(ci.call('fs_read', { workspace: workspace!.id, path: 'made.txt' }), noUser);
  });

  it('a local user’s terminal has its own groups, not the daemon’s (root’s group 0)', async () => {
    const own = join(root.path, 'nobody-own');
    mkdirSync(own);
    chownSync(own, NOBODY, NOBODY);
    const opened = await asNobody(['--home', daemon.home, 'term', 'open', '--cwd', own, '--', 'sh', '-c', WHO]);
    assert.equal(opened.code, 0, opened.stderr);
    const id = opened.stdout.trim();
    const output = new TermOutput(admin, id);
    const { scrollback } = await admin.call('term_attach', { id });
    const expected = /who=nobody groups=65534 home=\/nonexistent\r?\n/;
    if (!expected.test(Buffer.from(scrollback).toString('utf8'))) await output.waitFor(expected);
    await admin.call('term_close', { id });
  });

  it('a local user’s session runs its turn, and the checks after it, as that user', async () => {
    const own = join(root.path, 'nobody-session');
    mkdirSync(own);
    chownSync(own, NOBODY, NOBODY);
    await admin.call('project_add', { name: 'nobody-session', checks: ['echo "check by $(id -un)"'] });
    const started = await asNobody([
      '--home',
      daemon.home,
      'session',
      'start',
      '--cwd',
      own,
      '--provider',
      'fake',
      '/run echo "turn by $(id -un)"',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const watch = await SessionWatch.start(admin, started.stdout.trim());
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed');
    const outputs = watch.events.flatMap((event) =>
      event.type === 'command' && event.payload.phase === 'completed'
        ? [event.payload.output]
        : event.type === 'check_result'
          ? [event.payload.tail]
          : [],
    );
    assert.deepEqual(outputs, ['turn by nobody\n', 'check by nobody\n']);
  });

  it('a local user’s --worktree session: git makes and removes the worktree as that user', async () => {
    const repo = join(root.path, 'nobody-repo');
    mkdirSync(repo);
    makeRepo(repo, { 'notes.txt': 'one\n' });
    chownTree(repo, NOBODY);
    const started = await asNobody([
      '--home',
      daemon.home,
      'session',
      'start',
      '--cwd',
      repo,
      '--worktree',
      '--provider',
      'fake',
      '/write made.txt by the turn',
    ]);
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    const watch = await SessionWatch.start(admin, id);
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed');
    const { session } = await admin.call('session_get', { session: id });
    const { workspaces } = await admin.call('workspace_list', {});
    const worktree = workspaces.find((workspace) => workspace.id === session.workspace)!.path;
    for (const file of ['', 'notes.txt', 'made.txt', '.git']) {
      const made = statSync(join(worktree, file));
      assert.deepEqual([made.uid, made.gid], [NOBODY, NOBODY], `${file || 'the worktree'} belongs to nobody`);
    }
    assert.equal(statSync(join(repo, '.git', 'worktrees')).uid, NOBODY, "git's record of it in the repository too");
    await admin.call('session_stop', { session: id });
    const removed = await asNobody(['--home', daemon.home, 'worktree', 'rm', session.workspace, '--force']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(existsSync(worktree), false);
  });
});

/**
 * A daemon that is not root cannot switch users: it works for its own user
 * (and for root, with its own rights, which are less), and refuses another
 * user's work rather than doing it with its owner's rights.
 */
describe('whom work runs as on a daemon that is not root', () => {
  const root = tempDir('cortex-user-daemon-');
  let daemon: ChildProcess | undefined;
  const socket = join(root.path, 'home', 'cortex.sock');

  before(async () => {
    chmodSync(root.path, 0o711);
    for (const directory of ['home', 'work']) {
      mkdirSync(join(root.path, directory));
      chownSync(join(root.path, directory), NOBODY, NOBODY);
    }
    daemon = spawn(
      'setpriv',
      [
        ...becomeUser(),
        process.execPath,
        CORTEX_BIN,
        'daemon',
        '--home',
        join(root.path, 'home'),
        '--node-name',
        'u',
        '--group',
        'nogroup',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CORTEX_HOME: '', HOME: '/nonexistent' } },
    );
    let log = '';
    await new Promise<void>((resolve, reject) => {
      daemon!.stderr!.setEncoding('utf8').on('data', (text: string) => {
        log += text;
        if (log.includes('listening on')) resolve();
      });
      daemon!.once('exit', () => reject(new Error(`the daemon exited: ${log}`)));
    });
  });
  after(async () => {
    if (daemon !== undefined && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((resolve) => daemon!.once('exit', resolve));
    }
    root.remove();
  });

  it('works for its own user, and refuses another user’s work instead of doing it as its owner', async () => {
    const work = join(root.path, 'work');
    const own = await asUser(NOBODY, ['--socket', socket, 'term', 'open', '--cwd', work, '--', 'true']);
    assert.equal(own.code, 0, own.stderr);
    const other = await asUser(2, ['--socket', socket, 'term', 'open', '--cwd', work, '--', 'id']);
    assert.equal(other.code, 5);
    assert.equal(
      other.stderr,
      "cortex term: This daemon runs as uid 65534, so it can only work as that user, not as bin (user:bin@u); a daemon in system mode (root) runs each user's work as that user.\n",
    );
  });
});

/** chown -R: a repository made by root, handed to `uid`. */
function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid);
}
