import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORTEX_BIN } from '../helpers/daemon.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { finishedSessionOn, gitRepo, lineOfThree } from '../tree/tree-helpers.js';
import { TmuxScreen } from './helpers/tmux.js';

/**
 * Another node's files and diffs from the TUI as it ships: `cortex tui` on a
 * of a line a — b — c edits a file of a workspace on c (a change made on c
 * meanwhile is not saved over) and shows that workspace's diff and a turn's
 * diff of a session on c.
 */
describe('cortex tui on a: the files and diffs of a workspace on c', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tui-files-c-', { 'notes.txt': 'first line\n' });
  const file = join(repo.path, 'notes.txt');
  let a: MeshNode;
  let c: MeshNode;
  let screen: TmuxScreen | undefined;

  before(async () => {
    [a, , c] = await lineOfThree(mesh);
    await finishedSessionOn(c, repo.path, '/write made-on-c.txt written by the turn on c');
  });

  after(async () => {
    await screen?.kill();
    await mesh.cleanup();
    repo.remove();
  });

  it("edits a file on c, refuses to save over c's own change, and shows c's diffs", async () => {
    screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', a.daemon.home, 'tui'], {
      width: 110,
      height: 32,
    });
    const tmux = screen;
    await tmux.waitForScreen((text) => /│ {6}[ •]○ fake/.test(text), "c's session in a's tree");
    // a, b, c, c's project, its workspace: its files, read from c (.git/ first, notes.txt last).
    for (let step = 0; step < 4; step++) await tmux.press('j');
    await tmux.press('3');
    await tmux.waitForScreen(
      (text) => text.includes(`Files · ${repo.path}`) && text.includes('notes.txt'),
      'the files',
    );
    await tmux.press('G');
    await tmux.press('e');
    await tmux.waitForScreen(
      (text) => text.includes('notes.txt · editing') && /│ *1 first line/.test(text),
      'the editor',
    );
    await tmux.type('mine ');
    await tmux.press('C-s');
    await tmux.waitForScreen((text) => text.includes('notes.txt · editing') && !text.includes('modified'), 'saved');
    assert.equal(readFileSync(file, 'utf8'), 'mine first line\n', 'written on c');

    await tmux.type('again ');
    await tmux.waitForScreen((text) => text.includes('notes.txt · modified · editing'), 'the edit');
    writeFileSync(file, 'changed on c\n');
    await tmux.press('C-s');
    await tmux.waitForScreen((text) => text.includes('Changed on disk!'), 'the conflict banner');
    assert.equal(readFileSync(file, 'utf8'), 'changed on c\n', "nothing written over c's change");
    await tmux.press('r');
    await tmux.waitForScreen((text) => /│ *1 changed on c/.test(text) && !text.includes('modified'), "c's version");
    // Each key waits for the last one's frame: two Escs, or Esc and 4, in one read are Alt-keys, as in any terminal.
    await tmux.press('Escape');
    await tmux.waitForScreen((text) => text.includes('notes.txt') && !text.includes('· editing'), 'the viewer');
    await tmux.press('Escape');
    await tmux.waitForScreen((text) => text.includes('.git/') && !/│ *1 changed on c/.test(text), 'the file list');

    // The workspace's diff against HEAD, from c.
    await tmux.press('4');
    await tmux.waitForScreen(
      (text) => text.includes('notes.txt') && text.includes('+changed on c') && text.includes('-first line'),
      "the workspace's diff on c",
    );
    // Back to the tree (Tab), down to the session under the workspace: its turn's diff, from c.
    await tmux.press('Tab');
    await tmux.press('j');
    await tmux.press('4');
    await tmux.waitForScreen(
      (text) => text.includes('Turn 1/1 (latest)') && text.includes('+written by the turn on c'),
      "the session's turn diff on c",
    );
  });
});
