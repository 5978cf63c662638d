import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { Project, Session, Workspace } from '../../src/protocol/runtime-types.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { type CliResult, runCortex } from '../helpers/cli.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';

/** `cortex session|project|workspace ...`: the real CLI against a real daemon, with the fake provider. */

const GUARD_MS = 30_000;

function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((item) => item !== '')
    .map((item) => JSON.parse(item) as T);
}

function assertOk(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what}: exit ${result.code}, stderr ${result.stderr}`);
}

/** A failure is one sentence on one line of stderr, and nothing on stdout. */
function assertFails(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^cortex [a-z]+: [^\n]+\n$/, 'one line on stderr');
  assert.match(result.stderr, message);
}

/** `cortex session events ID --follow` running in the background; `until` waits for text on its stdout. */
class Follower {
  private output = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CORTEX_BIN, ...args], {
      env: { ...process.env, CORTEX_HOME: '', CORTEX_SOCKET: '' },
    });
    this.child.stdin.end();
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.output += text;
      for (const waiter of [...this.waiters]) waiter();
    });
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => (this.output += `[stderr] ${text}`));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get text(): string {
    return this.output;
  }

  until(text: string): Promise<void> {
    if (this.output.includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const guard = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`--follow never printed ${JSON.stringify(text)}; it printed:\n${this.output}`));
      }, GUARD_MS);
      const check = () => {
        if (!this.output.includes(text)) return;
        clearTimeout(guard);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      void this.exited.then(() => {
        clearTimeout(guard);
        reject(new Error(`--follow exited before printing ${JSON.stringify(text)}:\n${this.output}`));
      });
    });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

describe('cortex session, project and workspace commands', () => {
  const base = tempDir('cortex-cli-session-');
  const appDir = join(base.path, 'alpha-app');
  const remoteDir = join(base.path, 'checkout-with-remote');
  let daemon: DaemonHandle;
  let client: Client;
  let id: string;
  const followers: Follower[] = [];
  const cli = (...args: string[]) => runCortex(['--home', daemon.home, ...args]);

  before(async () => {
    mkdirSync(appDir);
    execFileSync('git', ['init', '-q', appDir]);
    daemon = await startDaemon();
    client = await daemon.connect();
  });

  after(async () => {
    await Promise.all(followers.map((follower) => follower.stop()));
    client.close();
    await cleanup(daemon);
    base.remove();
  });

  it('session start --wait prints the id; send --wait; events shows messages, commands and files', async () => {
    const started = await cli('session', 'start', '--cwd', appDir, '--provider', 'fake', '--wait', 'hello');
    assertOk(started, 'session start');
    assert.match(started.stdout, /^s_[a-z0-9]{6,32}\n$/);
    assert.equal(started.stderr, '');
    id = started.stdout.trim();

    const sent = await cli('session', 'send', id, '/write src/made.txt by the fake\n/run echo ran; exit 4', '--wait');
    assertOk(sent, 'session send');
    assert.equal(sent.stdout, 'turn 2\n');
    assert.equal(readFileSync(join(appDir, 'src', 'made.txt'), 'utf8'), 'by the fake\n');

    const shown = await cli('session', 'events', id);
    assertOk(shown, 'session events');
    const text = shown.stdout;
    assert.match(text, /^You said: hello$/m, 'the agent message as text');
    assert.match(
      text,
      /^\$ echo ran; exit 4\n {2}ran\n {2}\[exit 4\]$/m,
      'the command, its output as it came, its exit code',
    );
    assert.match(text, /^update +src\/made\.txt$/m, 'the changed file as a path');
    assert.match(text, /^── turn 2 \(resumed\)\n> \/write src\/made\.txt by the fake\n> \/run echo ran; exit 4$/m);
    assert.match(text, /^── turn 2 done \(\d+ in, \d+ out tokens\)$/m);
    assert.ok(text.indexOf('You said: hello') < text.indexOf('src/made.txt'), 'in order');
    assert.doesNotMatch(text, /[{}]/, 'no JSON in the human form');
  });

  it('session events --json prints one event per line with consecutive seqs; --after skips', async () => {
    const all = await cli('session', 'events', id, '--json');
    assertOk(all, 'session events --json');
    const events = jsonLines<SessionEvent>(all.stdout);
    assert.deepEqual(
      events.map((event) => event.seq),
      Array.from({ length: events.length }, (_, i) => i + 1),
    );
    assert.deepEqual(
      events.map((event) => event.type),
      [
        'session_started',
        'turn_started',
        'agent_message',
        'turn_completed',
        'turn_started',
        'file_change',
        'file_change',
        'command',
        'command_output_delta',
        'command',
        'turn_diff',
        'turn_completed',
      ],
    );
    assert.ok(events.every((event) => event.session === id));
    const command = events.find((event) => event.type === 'command' && event.payload.phase === 'completed');
    assert.equal(command?.type === 'command' && command.payload.exit_code, 4);
    assert.deepEqual(events, (await client.call('session_events', { session: id })).events);

    const later = await cli('session', 'events', id, '--after', '4', '--json');
    assertOk(later, 'session events --after');
    assert.deepEqual(jsonLines<SessionEvent>(later.stdout), events.slice(4));
    const none = await cli('session', 'events', id, '--after', String(events.length), '--json');
    assert.equal(none.stdout, '');
  });

  it('session ls, ls --json and show', async () => {
    const listed = await cli('session', 'ls');
    assertOk(listed, 'session ls');
    const [header, row, ...rest] = listed.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^ID +STATUS +PROVIDER +TURNS +WORKSPACE +UPDATED$/);
    assert.match(
      row ?? '',
      new RegExp(`^${id} +idle +fake +2 +ws_[0-9a-f]+ +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`),
    );
    assert.deepEqual(rest, []);

    const json = await cli('session', 'ls', '--json');
    assertOk(json, 'session ls --json');
    const sessions = jsonLines<Session>(json.stdout);
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]!.id, id);
    assert.equal(sessions[0]!.status, 'idle');
    assert.equal(sessions[0]!.turns, 2);

    const shown = await cli('session', 'show', id);
    assertOk(shown, 'session show');
    assert.match(shown.stdout, new RegExp(`^id +${id}$`, 'm'));
    assert.match(shown.stdout, /^status +idle$/m);
    assert.match(shown.stdout, /^provider +fake$/m);
    assert.match(shown.stdout, /^turns +2$/m);
    assert.match(shown.stdout, /^resume +fake-[0-9a-f]+$/m);
    assert.match(shown.stdout, /^tokens +\d+ in \(0 cached\), 3 out$/m);
    const shownJson = await cli('session', 'show', id, '--json');
    assertOk(shownJson, 'session show --json');
    assert.deepEqual(JSON.parse(shownJson.stdout), (await client.call('session_get', { session: id })).session);

    assertFails(await cli('session', 'show', 's_nosuchsession'), 3, /There is no session s_nosuchsession/);
    assertFails(await cli('session', 'show', 'not-a-session'), 2, /a session id/);
    assertFails(await cli('session', 'start', '--cwd', appDir, '--provider', 'gpt', 'x'), 2, /--provider must be/);
  });

  it('session events --follow prints the history, then new events as they happen', async () => {
    const follower = new Follower(['--home', daemon.home, 'session', 'events', id, '--follow']);
    followers.push(follower);
    await follower.until('── turn 2 done');
    const sent = await cli('session', 'send', id, 'are you following?', '--wait');
    assertOk(sent, 'session send');
    await follower.until('── turn 3 done');
    assert.equal(await follower.stop(), null, 'it ran until killed');
    const text = follower.text;
    assert.match(text, /^── session on .*alpha-app \(fake\)$/m);
    assert.match(text, /^> are you following\?\nYou said: are you following\?\n── turn 3 done/m);
    assert.equal(text.split('You said: hello\n').length, 2, 'the history once');
    assert.equal(text.split('You said: are you following?\n').length, 2, 'the live event once');
    assert.doesNotMatch(text, /\[stderr\]/);

    // --after and --json work with --follow too: only what comes after, as JSON lines.
    const total = (await client.call('session_events', { session: id })).events.length;
    const json = new Follower([
      '--home',
      daemon.home,
      'session',
      'events',
      id,
      '--follow',
      '--json',
      '--after',
      String(total - 2),
    ]);
    followers.push(json);
    await json.until('"type":"turn_completed"');
    await json.stop();
    const followed = jsonLines<SessionEvent>(json.text);
    assert.deepEqual(
      followed.map((event) => event.seq),
      [total - 1, total],
    );
  });

  it('session interrupt and session stop; a stopped session refuses messages with exit code 2', async () => {
    const watch = await SessionWatch.start(client, id, 0);
    // send --wait on a turn that gets interrupted: exit 1, and it says why.
    const waiting = cli('session', 'send', id, '/hang', '--wait');
    await watch.waitFor((event) => event.type === 'turn_started' && event.turn === 4, 'turn 4 to start');
    const interrupted = await cli('session', 'interrupt', id);
    assertOk(interrupted, 'session interrupt');
    assert.equal(interrupted.stdout, 'interrupted\n');
    const waited = await waiting;
    assert.equal(waited.code, 1, waited.stderr);
    assert.equal(waited.stdout, 'turn 4\n');
    assert.match(waited.stderr, /^cortex session: Turn 4 was interrupted: interrupted by the user\n$/);

    const shown = JSON.parse((await cli('session', 'show', id, '--json')).stdout) as Session;
    assert.equal(shown.status, 'interrupted');
    const idle = await cli('session', 'interrupt', id, '--json');
    assertOk(idle, 'session interrupt --json');
    assert.deepEqual(JSON.parse(idle.stdout), { ok: true, interrupted: false });
    assert.equal((await cli('session', 'interrupt', id)).stdout, 'no turn was running\n');

    const failed = await cli('session', 'send', id, '/fail on purpose', '--wait');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^cortex session: Turn 5 failed: on purpose\n$/);

    const stopped = await cli('session', 'stop', id);
    assertOk(stopped, 'session stop');
    assert.equal(stopped.stdout, 'stopped\n');
    assertFails(await cli('session', 'send', id, 'anyone there?'), 2, /is stopped and takes no more messages/);
    assertFails(await cli('session', 'send', id, 'anyone there?', '--wait'), 2, /is stopped/);
    const after = JSON.parse((await cli('session', 'show', id, '--json')).stdout) as Session;
    assert.equal(after.status, 'stopped');
    assert.equal(after.turns, 5);
    const last = jsonLines<SessionEvent>((await cli('session', 'events', id, '--json')).stdout).at(-1);
    assert.equal(last?.type, 'session_stopped');
    assert.match((await cli('session', 'events', id)).stdout, /── session stopped: stopped by the user\n$/);
  });

  it('project ls and workspace ls: projects are named after the directory or its git remote', async () => {
    const projects = await cli('project', 'ls');
    assertOk(projects, 'project ls');
    assert.equal(projects.stdout, 'alpha-app\t-\t-\n');

    mkdirSync(remoteDir);
    execFileSync('git', ['init', '-q', remoteDir]);
    execFileSync('git', ['-C', remoteDir, 'remote', 'add', 'origin', 'git@example.com:team/app.git']);
    const started = await cli(
      'session',
      'start',
      '--cwd',
      remoteDir,
      '--provider',
      'fake',
      '--model',
      'tiny-1',
      '--wait',
      '--json',
      'hi',
    );
    assertOk(started, 'session start --json');
    const session = JSON.parse(started.stdout) as Session;
    assert.equal(session.provider, 'fake');
    assert.equal(session.model, 'tiny-1');
    assert.match((await cli('session', 'show', session.id)).stdout, /^provider +fake \(tiny-1\)$/m);

    const listed = await cli('project', 'ls', '--json');
    assertOk(listed, 'project ls --json');
    assert.deepEqual(
      jsonLines<Project>(listed.stdout).map(({ name, remote, checks }) => ({ name, remote, checks })),
      [
        { name: 'alpha-app', remote: null, checks: [] },
        { name: 'app', remote: 'git@example.com:team/app.git', checks: [] },
      ],
    );

    const workspaces = await cli('workspace', 'ls');
    assertOk(workspaces, 'workspace ls');
    const rows = workspaces.stdout
      .trimEnd()
      .split('\n')
      .map((row) => row.split('\t'));
    assert.deepEqual(
      rows.map(([, project, path]) => [project, path]),
      [
        ['alpha-app', realpathSync(appDir)],
        ['app', realpathSync(remoteDir)],
      ],
    );
    const json = jsonLines<Workspace>((await cli('workspace', 'ls', '--json')).stdout);
    assert.deepEqual(
      json.map((workspace) => workspace.id),
      rows.map(([workspaceId]) => workspaceId),
    );
    assert.equal(json.find((workspace) => workspace.project === 'app')?.id, session.workspace);

    // A second session in a known directory registers nothing new.
    assertOk(await cli('session', 'start', '--cwd', remoteDir, '--provider', 'fake', 'again'), 'session start');
    assert.equal(jsonLines<Project>((await cli('project', 'ls', '--json')).stdout).length, 2);
    assert.equal(jsonLines<Workspace>((await cli('workspace', 'ls', '--json')).stdout).length, 2);
    assert.equal(jsonLines<Session>((await cli('session', 'ls', '--json')).stdout).length, 3);
  });
});
