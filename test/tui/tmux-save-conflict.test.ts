import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { CORTEX_BIN, cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git-repo.js';
import { TmuxScreen } from './helpers/tmux.js';

/**
 * The Files tab's save conflict in the TUI as it ships (the bundle, in tmux):
 * a file changed on disk while it was being edited is not saved over; the
 * banner offers overwrite (o) and reload (r), and each does what it says. In
 * the bundle the conflict used to go unrecognised (an instanceof across two
 * copies of CortexError): only a notice, and the o went into the file.
 */
describe('a save conflict in cortex tui', () => {
  const work = tempDir('cortex-tui-conflict-');
  const repo = join(work.path, 'repo');
  const file = join(repo, 'notes.txt');
  let daemon: DaemonHandle;
  let control: Client;
  let screen: TmuxScreen | undefined;

  before(async () => {
    mkdirSync(repo);
    makeRepo(repo, { 'notes.txt': 'first line\n' });
    daemon = await startDaemon();
    control = await daemon.connect();
    await control.call('workspace_add', { path: repo });
  });

  after(async () => {
    await screen?.kill();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  /** Edits the open file, changes it on disk behind the TUI's back, and saves: the banner must come. */
  const conflict = async (tmux: TmuxScreen, typed: string, theirs: string) => {
    await tmux.type(typed);
    await tmux.waitForScreen((text) => text.includes('notes.txt · modified · editing'), 'the edit');
    writeFileSync(file, theirs);
    await tmux.press('C-s');
    const text = await tmux.waitForScreen((shown) => shown.includes('Changed on disk!'), 'the conflict banner');
    assert.match(text, /o overwrite with yours · r reload theirs/);
    assert.equal(readFileSync(file, 'utf8'), theirs, 'nothing written over theirs');
  };

  it('overwrites with o, and reloads theirs with r', async () => {
    screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', daemon.home, 'tui'], {
      width: 100,
      height: 30,
    });
    const tmux = screen;
    await tmux.waitForScreen((text) => text.includes('● connected') && text.includes('repo'), 'the tree');
    // node → project → workspace, then its files: .git/ first, notes.txt last.
    await tmux.press('j');
    await tmux.press('j');
    await tmux.press('3');
    await tmux.waitForScreen((text) => text.includes(`Files · ${repo}`) && text.includes('notes.txt'), 'the files');
    await tmux.press('G');
    await tmux.press('e');
    await tmux.waitForScreen(
      (text) => text.includes('notes.txt · editing') && /│ *1 first line/.test(text),
      'the editor',
    );

    await conflict(tmux, 'mine ', 'theirs\n');
    await tmux.press('o');
    await tmux.waitForScreen(
      (text) =>
        text.includes('notes.txt · editing') && !text.includes('modified') && !text.includes('Changed on disk!'),
      'saved over theirs',
    );
    assert.equal(readFileSync(file, 'utf8'), 'mine first line\n');

    await conflict(tmux, 'again ', 'theirs again\n');
    await tmux.press('r');
    await tmux.waitForScreen(
      (text) => /│ *1 theirs again/.test(text) && !text.includes('modified') && !text.includes('Changed on disk!'),
      'their version, the edits dropped',
    );
    assert.equal(readFileSync(file, 'utf8'), 'theirs again\n');
    // Each key waits for the last one's frame: Esc and q in one read are Alt-q, as in any terminal.
    await tmux.press('Escape');
    await tmux.waitForScreen((text) => text.includes('notes.txt') && !text.includes('· editing'), 'the viewer');
    await tmux.press('q');
    assert.equal(await tmux.waitForExit(), 0);
  });
});
