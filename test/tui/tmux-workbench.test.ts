import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { runCortex } from '../helpers/cli.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { TmuxScreen } from './helpers/tmux.js';

/** A node name as long as a real host's: at 80 columns its badges do not all fit beside it. */
const NODE = 'build-server-7';

/**
 * `cortex tui` as a new user meets it, in tmux: a tree that stays current
 * while other clients work, a new-session form that keeps what is typed, and
 * 80×24 as a first-class size, on a terminal without colour too.
 */
describe('cortex tui, kept current and usable at 80×24', () => {
  const work = tempDir('cortex-tui-bench-');
  const first = join(work.path, 'first');
  let daemon: DaemonHandle;
  let control: Client;
  const screens: TmuxScreen[] = [];
  const cli = (...args: string[]) => runCortex(['--home', daemon.home, ...args]);

  const launch = async (width: number, height: number, env: string[] = []) => {
    const command = ['env', ...env, process.execPath, CORTEX_BIN, '--home', daemon.home, 'tui'];
    const screen = await TmuxScreen.start(command, { width, height });
    screens.push(screen);
    await screen.waitForScreen((text) => text.includes('● connected') && text.includes('first'), 'the tree');
    return screen;
  };

  before(async () => {
    mkdirSync(first);
    daemon = await startDaemon({ args: ['--node-name', NODE] });
    control = await daemon.connect();
    await control.call('workspace_add', { path: first });
  });

  after(async () => {
    // The TUIs first: with the daemon gone, one would start a new daemon on the home.
    for (const screen of screens) await screen.kill();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('shows what other clients add and remove, without being restarted', async () => {
    const screen = await launch(100, 30);
    const second = join(work.path, 'second');
    mkdirSync(second);
    const added = await cli('workspace', 'add', second, '--project', 'elsewhere');
    assert.equal(added.code, 0, added.stderr);
    await screen.waitForScreen(
      (text) => /│ {3}elsewhere/.test(text) && /│ {5}\S*second/.test(text),
      'the new project and workspace',
    );
    const opened = await cli('term', 'open', '--cwd', second, '--', 'sh');
    assert.equal(opened.code, 0, opened.stderr);
    await screen.waitForScreen((text) => /│ {7}\$ sh /.test(text), 'the terminal opened by the CLI');
    assert.equal((await cli('term', 'close', opened.stdout.trim())).code, 0);
    const workspace = /^\S+/.exec(added.stdout)![0];
    assert.equal((await cli('workspace', 'rm', workspace)).code, 0);
    assert.equal((await cli('project', 'rm', 'elsewhere')).code, 0);
    await screen.waitForScreen(
      (text) => !text.includes('$ sh') && !text.includes('second') && !text.includes('elsewhere'),
      'the terminal, workspace and project gone',
    );
  });

  it('keeps the prompt typed when Tab moves to another field, and refuses an empty one with a sentence', async () => {
    const screen = screens[0]!;
    // node → project → workspace.
    await screen.press('j');
    await screen.press('j');
    await screen.press('n');
    await screen.waitForScreen((text) => text.includes(`New session in ${first}`), 'the form');
    await screen.press('Enter');
    await screen.waitForScreen((text) => text.includes('Type a prompt first'), 'the empty prompt refused');
    assert.equal((await control.call('session_list', {})).sessions.length, 0, 'no session started');

    await screen.type('keep me');
    await screen.press('Tab');
    await screen.waitForScreen((text) => /› provider/.test(text), 'the provider field active');
    // Typed on a choice, text goes on in the prompt rather than being lost.
    await screen.type(' and this');
    await screen.waitForScreen((text) => /› prompt +keep me and this/.test(text), 'the whole prompt kept');
    await screen.press('Left');
    await screen.press('Up');
    // codex, codex-exec, fake.
    await screen.press('Right');
    await screen.press('Right');
    await screen.waitForScreen((text) => text.includes('‹ fake ›'), 'the fake provider');
    await screen.press('Enter');
    await screen.waitForScreen((text) => text.includes('You said: keep me and this'), 'the session, on the prompt');
    const { sessions } = await control.call('session_list', {});
    assert.equal(sessions.length, 1);
    await (await SessionWatch.start(control, sessions[0]!.id)).turnEnd(1);
  });

  it('at 80×24 without colour: badges shortened rather than cut, the selection marked, the help on the whole screen', async () => {
    const screen = await launch(80, 24, ['NO_COLOR=1']);
    const text = await screen.waitForScreen((shown) => /│ +first/.test(shown), 'the project in the tree');
    const rows = text.trimEnd().split('\n');
    assert.equal(rows.length, 24);
    assert.ok(
      rows.every((row) => row.length <= 80),
      'no line wider than the terminal',
    );
    const node = /^│(.*?)│/.exec(rows[2]!)?.[1]?.trimEnd() ?? rows[2]!;
    // The selected node row, marked, with the longest whole form of its badge that fits.
    assert.match(node, new RegExp(`^› ?${NODE}( (load )?[\\d.]+( (mem )?\\d+%( (disk )?\\S+)?)?)?$`));
    await screen.press('j');
    const moved = await screen.waitForScreen((shown) => /^│› {2}first/m.test(shown), 'the mark on the next row');
    assert.equal(moved.split('›').length - 1, 1, 'one row marked');
    await screen.press('?');
    const help = await screen.waitForScreen((shown) => shown.includes('Cortex keys'), 'the help');
    const helpRows = help.trimEnd().split('\n');
    assert.match(helpRows[0]!, /^╔═{78}╗$/, 'the help box is as wide as the terminal');
    assert.doesNotMatch(help, /[┌└]/, 'nothing of the tree beside it');
    assert.match(help, /j\/k scroll · 1–/);
    await screen.press('Escape');
    await screen.waitForScreen((shown) => !shown.includes('Cortex keys'), 'the help closed');
  });
});
