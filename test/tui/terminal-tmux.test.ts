import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { Workspace } from '../../src/protocol/runtime-types.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { TmuxScreen } from './helpers/tmux.js';

/**
 * The Terminal tab in `cortex tui`, in a real terminal (tmux): `t` opens a
 * shell in the pane, Ctrl-] gives the keyboard back, `F` lends the shell the
 * whole terminal (Ink must draw nothing meanwhile), and Ctrl-] brings Ink's
 * frame back, whole, with the PTY at the pane's size again. Every wait polls
 * the screen under a deadline; nothing sleeps for a fixed time.
 */
describe('the Terminal tab in tmux', () => {
  const work = tempDir('cortex-tui-term-e2e-');
  const workspacePath = join(work.path, 'shellws');
  let daemon: DaemonHandle;
  let control: Client;
  let workspace: Workspace;
  let screen: TmuxScreen | undefined;
  /** 100×30: the tree takes 30 columns, the pane 70 (68 inside its border); 26 rows, 25 below its title. */
  const PANE = { cols: 68, rows: 25 };

  before(async () => {
    mkdirSync(workspacePath);
    daemon = await startDaemon();
    control = await daemon.connect();
    ({ workspace } = await control.call('workspace_add', { path: workspacePath }));
  });

  after(async () => {
    // The TUI first: with the daemon gone, it would start a new daemon on the home.
    await screen?.kill();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  const terminals = async () => (await control.call('term_list', { workspace: workspace.id })).terminals;

  it('opens a shell with t in the pane, and sends it keys', async () => {
    screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', daemon.home, 'tui'], {
      width: 100,
      height: 30,
    });
    await screen.waitForScreen((text) => text.includes('● connected') && text.includes('shellws'), 'the tree');
    // node → project → workspace
    await screen.press('j');
    await screen.press('j');
    await screen.press('t');
    await screen.waitForScreen((text) => /Terminal t_\w+ · /.test(text) && /shellws[#$]/.test(text), 'the prompt');
    await screen.type('echo pane-$((1+1))');
    await screen.press('Enter');
    const text = await screen.waitForScreen((shown) => /│pane-2 +│$/m.test(shown), 'the echo inside the pane');
    assert.match(text, /keys go to the terminal · Ctrl-\] tree/);
    const [opened] = await terminals();
    assert.deepEqual([opened?.cols, opened?.rows], [PANE.cols, PANE.rows]);
  });

  it('gives the keyboard back with Ctrl-], then F lends the shell the whole terminal until Ctrl-]', async () => {
    const tmux = screen!;
    await tmux.press('C-]');
    await tmux.waitForScreen((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await tmux.press('F');
    await tmux.waitForScreen(
      (text) => !text.includes('● connected') && /^pane-2$/m.test(text),
      'the full screen, with the scrollback replayed',
    );
    await tmux.type('echo full-$((5+5)); stty size');
    await tmux.press('Enter');
    let text = await tmux.waitForScreen((shown) => /^30 100$/m.test(shown), 'the shell at the whole size');
    assert.match(text, /^full-10$/m);
    assert.doesNotMatch(text, /[│┌└]/, 'nothing of Ink is drawn meanwhile');
    const [full] = await terminals();
    assert.deepEqual([full?.cols, full?.rows], [100, 30]);

    await tmux.press('C-]');
    text = await tmux.waitForScreen(
      (shown) => shown.includes('● connected') && /back from t_\w+, still running/.test(shown),
      "Ink's frame back",
    );
    assert.equal(text.trimEnd().split('\n').length, 30, 'the whole frame');
    // The pane shows what ran full screen, and the PTY is the pane's size again.
    await tmux.waitForScreen((shown) => /│full-10 +│$/m.test(shown), 'the full-screen output in the pane');
    await waitFor(async () => {
      const [back] = await terminals();
      return back?.cols === PANE.cols && back.rows === PANE.rows;
    }, 'the PTY resized back to the pane');
  });

  it('goes full screen from another tab too, attached only while it lasts', async () => {
    const tmux = screen!;
    // The terminal's row stays selected in the tree; the Events tab is shown instead of its pane.
    await tmux.press('1');
    await tmux.waitForScreen((text) => !/Terminal t_\w+ · /.test(text), 'the Events tab');
    await waitFor(async () => (await terminals())[0]?.viewers === 0, 'the hidden pane detached');
    await tmux.press('F');
    await tmux.waitForScreen((text) => !text.includes('● connected') && /^full-10$/m.test(text), 'the full screen');
    assert.equal((await terminals())[0]?.viewers, 1);
    await tmux.type('echo other-$((3*3))');
    await tmux.press('Enter');
    await tmux.waitForScreen((text) => /^other-9$/m.test(text), 'the echo, full screen');
    await tmux.press('C-]');
    await tmux.waitForScreen((text) => /back from t_\w+, still running/.test(text), 'back in the Events tab');
    await waitFor(async () => (await terminals())[0]?.viewers === 0, 'detached again: no pane shows it');
  });
});

/** Polls `check` until it holds: the daemon's record of the size has no notification to wait on. */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
