import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { Session } from '../../src/protocol/runtime-types.js';
import { runCortex } from '../helpers/cli.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git-repo.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { TmuxScreen } from './helpers/tmux.js';

/**
 * `cortex tui` in a real terminal: tmux runs the real binary against a real
 * daemon (fake provider) on a temporary home. Keys go in one `send-keys` call
 * at a time, as a person types; tmux may still deliver several in one read,
 * which the app must handle. Every wait polls the screen until it shows what
 * the step expects, under a deadline; nothing sleeps for a fixed time.
 */
describe('cortex tui in tmux', () => {
  const work = tempDir('cortex-tui-e2e-');
  const workspacePath = join(work.path, 'app');
  let daemon: DaemonHandle;
  let control: Client;
  let first: Session;
  const screens: TmuxScreen[] = [];

  const launch = async (width = 100, height = 30) => {
    const screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', daemon.home, 'tui'], {
      width,
      height,
    });
    screens.push(screen);
    return screen;
  };
  const ready = (screen: TmuxScreen) =>
    screen.waitForScreen((text) => text.includes('● connected') && text.includes('○ fake'), 'the tree, connected');
  const sessionRows = (text: string) =>
    text.split('\n').filter((line) => /│ +•?○ fake (<1m|\d+[mhd])/.test(line)).length;

  before(async () => {
    mkdirSync(workspacePath);
    makeRepo(workspacePath, { 'notes.txt': 'first line\n' });
    daemon = await startDaemon();
    control = await daemon.connect();
    const { workspace } = await control.call('workspace_add', { path: workspacePath });
    ({ session: first } = await control.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: 'hello tmux',
    }));
    await (await SessionWatch.start(control, first.id)).turnEnd(1);
  });

  after(async () => {
    // The TUIs first: with the daemon gone, one would start a new daemon on the home.
    for (const screen of screens) await screen.kill();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('selects a session in the tree and shows its events', async () => {
    const screen = await launch();
    await ready(screen);
    // node → project → workspace → session
    for (const key of ['j', 'j', 'j']) await screen.press(key);
    const text = await screen.waitForScreen((shown) => shown.includes('You said: hello tmux'), 'the events');
    assert.match(text, new RegExp(`${first.id} · fake · idle · turn 1`));
    assert.match(text, /── turn 1 done/);
  });

  it('sends a second turn from the Chat tab (2, type, Enter)', async () => {
    const screen = screens[0]!;
    await screen.press('2');
    await screen.waitForScreen((text) => text.includes(`Message ${first.id}`), 'the chat tab');
    await screen.type('second turn');
    await screen.waitForScreen((text) => text.includes('> second turn'), 'the draft');
    await screen.press('Enter');
    // The box (below its hint line) is empty again; the conversation above it shows the message.
    const box = (text: string) => text.slice(text.indexOf('Enter sends'));
    await screen.waitForScreen(
      (text) => box(text).includes('turn 2 started') && !box(text).includes('second turn'),
      'sent',
    );
    await screen.press('Escape');
    await screen.waitForScreen((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await screen.press('1');
    const text = await screen.waitForScreen((shown) => shown.includes('You said: second turn'), 'the answer');
    assert.match(text, /── turn 2 \(resumed\) ──/);
  });

  it('starts a new session with n on the selected workspace, and shows it in the tree', async () => {
    const screen = screens[0]!;
    await screen.press('Tab');
    await screen.waitForScreen((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await screen.press('n');
    await screen.waitForScreen((text) => text.includes(`New session in ${workspacePath}`), 'the form');
    await screen.press('Up');
    await screen.press('Left');
    await screen.waitForScreen((text) => text.includes('‹ fake ›'), 'the fake provider chosen');
    await screen.press('Tab');
    await screen.type('third one');
    await screen.waitForScreen((text) => /prompt +third one/.test(text), 'the prompt typed');
    await screen.press('Enter');
    const text = await screen.waitForScreen(
      (shown) => shown.includes('You said: third one') && sessionRows(shown) === 2,
      'the new session open, and in the tree',
    );
    assert.doesNotMatch(text, new RegExp(`${first.id} · fake`));
  });

  it('shows the help with ?, and hides it with Escape', async () => {
    const screen = screens[0]!;
    await screen.press('?');
    const text = await screen.waitForScreen((shown) => shown.includes('Cortex keys'), 'the help');
    assert.match(text, /show or hide this help/);
    await screen.press('Escape');
    await screen.waitForScreen((shown) => !shown.includes('Cortex keys'), 'the help closed');
  });

  it('keeps its layout at 80×24: the status bar, the tree and a help that scrolls', async () => {
    const screen = screens[0]!;
    await screen.resize(80, 24);
    const text = await screen.waitForScreen((shown) => {
      const rows = shown.trimEnd().split('\n');
      return rows.length === 24 && rows[1]!.length === 80 && rows.at(-1)!.startsWith('● connected');
    }, 'the layout redrawn at 80×24');
    const rows = text.trimEnd().split('\n');
    assert.ok(
      rows.every((row) => row.length <= 80),
      'no line wider than the terminal',
    );
    assert.match(rows[0]!, /^ 1 Events {2}2 Chat {2}3 Files {2}4 Diff {2}5 Checks {2}6 Terminal/);
    assert.match(rows[1]!, /^┌─+┐┌─+┐$/);
    assert.match(rows[22]!, /^└─+┘└─+┘$/);
    // 24 columns of tree at 80: the badge drops its words rather than being cut.
    assert.match(rows[2]!, /^│ \S+ [\d.]+ \d+%/);
    assert.equal(sessionRows(text), 2);
    await screen.press('?');
    const help = await screen.waitForScreen((shown) => shown.includes('j/k scroll · 1–'), 'the help, scrolling');
    assert.equal(help.trimEnd().split('\n').length, 24);
    await screen.press('j');
    await screen.waitForScreen((shown) => shown.includes('j/k scroll · 2–'), 'the help scrolled');
    await screen.press('Escape');
    await screen.waitForScreen((shown) => !shown.includes('Cortex keys'), 'the help closed');
  });

  it('opens a file in the Files tab, edits it and saves it with Ctrl-S', async () => {
    const screen = screens[0]!;
    await screen.resize(100, 30);
    await screen.press('3');
    await screen.waitForScreen(
      (text) => text.includes(`Files · ${workspacePath}`) && text.includes('notes.txt'),
      'the files',
    );
    // Folders first (.git), then files: notes.txt is the last entry.
    await screen.press('G');
    await screen.press('Enter');
    await screen.waitForScreen((text) => /│ *1 first line/.test(text), 'the file with line numbers');
    await screen.press('e');
    await screen.waitForScreen((text) => text.includes('notes.txt · editing'), 'the editor');
    await screen.type('edited ');
    await screen.waitForScreen((text) => text.includes('edited first line') && text.includes('· modified'), 'the edit');
    await screen.press('C-s');
    await screen.waitForScreen((text) => text.includes('notes.txt · editing') && !text.includes('· modified'), 'saved');
    assert.equal(readFileSync(join(workspacePath, 'notes.txt'), 'utf8'), 'edited first line\n');
    // An edit left unsaved: q says so instead of quitting; Ctrl-S back in the editor saves it.
    await screen.type('!');
    await screen.press('Escape');
    await screen.waitForScreen((text) => text.includes('notes.txt · modified'), 'the viewer, modified');
    await screen.press('q');
    await screen.waitForScreen(
      (text) => text.includes('Unsaved edits in notes.txt'),
      'the warning instead of quitting',
    );
    await screen.press('e');
    await screen.press('C-s');
    await screen.waitForScreen(
      (text) => text.includes('notes.txt · editing') && !text.includes('· modified'),
      'saved again',
    );
    assert.equal(readFileSync(join(workspacePath, 'notes.txt'), 'utf8'), 'edited !first line\n');
    // The next key waits for Esc's frame: Esc and 4 in one read are Alt-4, as in any terminal.
    await screen.press('Escape');
    await screen.waitForScreen((text) => text.includes('notes.txt') && !text.includes('· editing'), 'the viewer');
  });

  it("shows the edit in the Diff tab's workspace diff", async () => {
    const screen = screens[0]!;
    await screen.press('4');
    await screen.press('w');
    const text = await screen.waitForScreen((shown) => shown.includes('+edited !first line'), 'the workspace diff');
    assert.match(text, /-first line/);
    assert.match(text, /notes\.txt/);
  });

  it('opens a terminal with t and runs echo hi in it', async () => {
    const screen = screens[0]!;
    await screen.press('Tab');
    await screen.waitForScreen((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await screen.press('t');
    await screen.waitForScreen((text) => /app[#$] *│/.test(text), 'the shell prompt in the pane');
    await screen.type('echo hi');
    await screen.press('Enter');
    await screen.waitForScreen((text) => /│hi +│/.test(text), 'the output of echo');
    await screen.press('C-]');
    await screen.waitForScreen((text) => text.includes('j/k move · Enter open'), 'the keyboard back in the tree');
  });

  it('quits with q, and the sessions keep running in the daemon', async () => {
    const screen = screens[0]!;
    await screen.press('q');
    assert.equal(await screen.waitForExit(), 0);
    const listed = await runCortex(['--home', daemon.home, 'session', 'ls', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const sessions = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Session);
    assert.equal(sessions.length, 2);
    const original = sessions.find((session) => session.id === first.id);
    assert.equal(original?.status, 'idle');
    assert.equal(original?.turns, 2);
    assert.equal(daemon.process.exitCode, null);
  });

  it('started again, finds the same session and terminal with their history', async () => {
    await screens[0]!.kill();
    const screen = await launch();
    await ready(screen);
    // Newest session first: node → project → workspace → "third one" → the first session.
    await screen.waitForScreen((text) => sessionRows(text) === 2, 'both sessions');
    for (const key of ['j', 'j', 'j', 'j']) await screen.press(key);
    const text = await screen.waitForScreen(
      (shown) => shown.includes(`${first.id} · fake · idle · turn 2`) && shown.includes('You said: second turn'),
      'the first session',
    );
    assert.match(text, /You said: hello tmux/);
    // The terminal is the row after the sessions.
    await screen.press('j');
    await screen.press('Enter');
    const terminal = await screen.waitForScreen((shown) => /│hi +│/.test(shown), 'the terminal with its history');
    assert.match(terminal, /echo hi/);
    await screen.press('C-]');
    await screen.waitForScreen((shown) => shown.includes('j/k move · Enter open'), 'the tree focused');
    await screen.press('q');
    assert.equal(await screen.waitForExit(), 0);
  });
});
