import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { Session } from '../../src/protocol/runtime-types.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git-repo.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { TmuxScreen } from './helpers/tmux.js';

/**
 * The Chat tab in a real terminal, against a real daemon with the fake
 * provider and approvals on: a command approved with y runs, a streamed reply
 * shows while its turn still runs (held open by /wait until Ctrl-S steers
 * it), x asks before stopping, and a message a stopped session refuses stays
 * in the box (and the review comments it quoted in Diff) until Ctrl-R resumes
 * the session with it.
 */
describe('cortex tui: the Chat tab', () => {
  const work = tempDir('cortex-tui-chat-');
  const workspacePath = join(work.path, 'app');
  let daemon: DaemonHandle;
  let control: Client;
  let session: Session;
  let watch: SessionWatch;
  let screen: TmuxScreen;

  const status = async () => (await control.call('session_get', { session: session.id })).session.status;
  const typed = (text: string) => screen.type(text);
  /** The message box's first row: the one under the hint line. */
  const boxLine = (text: string) => {
    const rows = text.split('\n');
    return rows[rows.findIndex((row) => row.includes('── Enter sends')) + 1] ?? '';
  };

  before(async () => {
    mkdirSync(workspacePath);
    makeRepo(workspacePath, { 'notes.txt': 'first line\n' });
    daemon = await startDaemon();
    control = await daemon.connect();
    const { workspace } = await control.call('workspace_add', { path: workspacePath });
    ({ session } = await control.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      // The change to notes.txt gives the Diff tab a hunk to comment on.
      prompt: 'hello chat\n/write notes.txt changed by the first turn',
      approval: 'on-request',
    }));
    watch = await SessionWatch.start(control, session.id);
    await watch.turnEnd(1);
    screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', daemon.home, 'tui'], {
      width: 110,
      height: 32,
    });
    await screen.waitForScreen((text) => text.includes('● connected') && text.includes('○ fake'), 'the tree');
    // node → project → workspace → session, then the Chat tab with the keyboard.
    for (const key of ['j', 'j', 'j']) await screen.press(key);
    await screen.waitForScreen((text) => text.includes('You said: hello chat'), 'the session opened');
    await screen.press('2');
    await screen.waitForScreen((text) => text.includes(`Message ${session.id} (idle)`), 'the chat tab');
  });

  after(async () => {
    // The TUI first: with the daemon gone, it would start a new daemon on the home.
    await screen?.kill();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('shows a pending approval inline; y in the conversation approves it and the command runs', async () => {
    await typed('/ask touch approved.txt');
    await screen.press('Enter');
    const asking = await screen.waitForScreen(
      (text) => /\? ap_\S+ asks to run touch approved\.txt/.test(text) && text.includes('y approve · n deny'),
      'the request, with its keys',
    );
    assert.match(asking, /waits for approval/);
    assert.equal(existsSync(join(workspacePath, 'approved.txt')), false, 'nothing ran before the answer');
    // y typed in the box is text: ↑ moves to the conversation, where it answers.
    await screen.press('Up');
    await screen.waitForScreen((text) => text.includes('── j/k scroll · y/n/a answer'), 'reading the conversation');
    await screen.press('y');
    await watch.turnEnd(2);
    assert.ok(existsSync(join(workspacePath, 'approved.txt')), 'the approved command wrote its file');
    const done = await screen.waitForScreen((text) => text.includes('── turn 2 done'), 'the turn done');
    assert.match(done, /\$ touch approved\.txt {2}\[exit 0\]/);
    assert.match(done, /approved by /);
    assert.doesNotMatch(done, /y approve · n deny/, 'nothing waits any more');
    await screen.press('Enter');
    await screen.waitForScreen((text) => text.includes('── Enter sends'), 'back in the box');
  });

  it('shows a streamed reply while its turn runs, and Ctrl-S steers the running turn', async () => {
    await typed('/deltas 12');
    await screen.press('C-j');
    await typed('/wait');
    await screen.press('Enter');
    const streamed = await screen.waitForScreen(
      (text) => text.includes('line 12') && text.includes(`Message ${session.id} (running`),
      'the reply, the turn still running',
    );
    assert.match(streamed, /line 1\b/);
    assert.equal(await status(), 'running', 'the turn waits on /wait: the reply was shown before it ended');
    await typed('carry on');
    await screen.press('C-s');
    await watch.waitFor((event) => event.type === 'turn_steered', 'the steer');
    await watch.turnEnd(3);
    const done = await screen.waitForScreen((text) => text.includes('── turn 3 done'), 'the steered turn done');
    assert.match(done, />> carry on/);
    assert.match(done, /steered turn 3/);
  });

  it('x asks before stopping: n keeps the session, y stops it; a refused message stays, its review comment too, and Ctrl-R resumes with it', async () => {
    // A review comment in Diff (the work tree against HEAD), to go first in the next message.
    // The next key waits for Esc's frame: Esc and 4 in one read are Alt-4, as in any terminal.
    await screen.press('Escape');
    await screen.waitForScreen((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await screen.press('4');
    await screen.press('w');
    await screen.waitForScreen((text) => text.includes('M notes.txt'), "the workspace's diff");
    await screen.press('n');
    await screen.press('c');
    await typed('keep the first line');
    await screen.press('Enter');
    await screen.waitForScreen((text) => text.includes('Diff (1)'), 'the comment kept');
    await screen.press('2');
    await screen.waitForScreen((text) => text.includes('(+1 review comments)'), 'the chat tab with the comment');

    await control.call('session_send', { session: session.id, prompt: '/hang' });
    await watch.waitFor((event) => event.type === 'turn_started' && event.turn === 4, 'the hanging turn');
    await screen.press('Escape');
    await screen.waitForScreen((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await screen.press('x');
    await screen.waitForScreen((text) => text.includes(`Stop ${session.id}?`), 'the question');
    await screen.press('n');
    await screen.waitForScreen((text) => text.includes('Not stopped.'), 'the answer no');
    assert.equal(await status(), 'running');

    await screen.press('x');
    await screen.waitForScreen((text) => text.includes(`Stop ${session.id}?`), 'the question again');
    await screen.press('y');
    await watch.waitFor((event) => event.type === 'session_stopped', 'the session stopped');
    await screen.press('2');
    await screen.waitForScreen((text) => text.includes(`Message ${session.id} (stopped`), 'the stopped session');
    await typed('still here');
    await screen.press('Enter');
    const refused = await screen.waitForScreen((text) => text.includes('Not sent:'), 'the refusal');
    assert.match(boxLine(refused), /│> still here *│$/, 'the message stays in the box');
    assert.match(refused, /Ctrl-R resumes it with this message/);
    assert.match(refused, /Diff \(1\)/, 'the review comment stays for the next message');

    await screen.press('C-r');
    await watch.waitFor((event) => event.type === 'session_resumed', 'the session resumed');
    const answered = await screen.waitForScreen((text) => text.includes('You said: still here'), 'the message sent');
    assert.match(boxLine(answered), /│> *│$/, 'the box emptied once sent');
  });

  it('n in the Events tab denies a file change: nothing is written', async () => {
    await watch.turnEnd(5);
    await control.call('session_send', { session: session.id, prompt: '/ask-write denied.txt never' });
    // From the box, Esc to the tree, then 1: the Events tab with the keyboard.
    await screen.press('Escape');
    await screen.waitForScreen((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await screen.press('1');
    await screen.waitForScreen(
      (text) =>
        text.includes(`${session.id} · fake · running`) &&
        /\? ap_\S+ asks to change denied\.txt/.test(text) &&
        text.includes('waits: y/n/a answer'),
      'the request in Events, with the keys in the status bar',
    );
    await screen.press('n');
    await watch.turnEnd(6);
    await screen.waitForScreen((text) => /ap_\S+ denied by /.test(text), 'the denial');
    assert.equal(existsSync(join(workspacePath, 'denied.txt')), false, 'the denied change was not written');
  });

  it('r on a stopped session in the tree resumes it', async () => {
    await control.call('session_stop', { session: session.id });
    assert.equal(await status(), 'stopped');
    await screen.press('Tab');
    await screen.waitForScreen((text) => text.includes('j/k move · Enter open') && text.includes('■ fake'), 'stopped');
    await screen.press('r');
    await screen.waitForScreen((text) => text.includes(`resumed ${session.id}`), 'the resume confirmed');
    assert.notEqual(await status(), 'stopped');
  });
});
