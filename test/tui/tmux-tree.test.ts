import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CORTEX_BIN } from '../helpers/daemon.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { finishedSessionOn, gitRepo, lineOfThree } from '../tree/tree-helpers.js';
import { TmuxScreen } from './helpers/tmux.js';

/** The row index of the first line of `screen` that `pattern` matches (-1 when none). */
const rowOf = (screen: string, pattern: RegExp) => screen.split('\n').findIndex((line) => pattern.test(line));

/**
 * One tree across machines as a person meets it: `cortex tui` on a, the first
 * node of a line a — b — c of real daemons over mutual TLS (no a–c link). A
 * session started on c shows under c in a's tree, its events in the Events
 * tab; a terminal opened on c from the TUI runs there and answers what is typed.
 */
describe('cortex tui on a: a remote node in the tree, driven from it', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tui-tree-c-');
  let a: MeshNode;
  let c: MeshNode;
  let screen: TmuxScreen | undefined;

  before(async () => {
    [a, , c] = await lineOfThree(mesh);
    await finishedSessionOn(c, repo.path, 'hello from c');
  });

  after(async () => {
    await screen?.kill();
    await mesh.cleanup();
    repo.remove();
  });

  it("shows c's session under c, its events, and a terminal opened on c that answers", async () => {
    screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', a.daemon.home, 'tui'], {
      width: 100,
      height: 30,
    });
    const tree = await screen.waitForScreen(
      (text) => text.includes('● connected') && /│ c ●/.test(text) && /│ {6}[ •]○ fake/.test(text),
      "c's session in a's tree",
    );
    const nodeRow = rowOf(tree, /│ c ●/);
    assert.ok(rowOf(tree, /│ a /) < nodeRow, `a first:\n${tree}`);
    assert.ok(rowOf(tree, /│ {6}[ •]○ fake/) > nodeRow, `the session under c:\n${tree}`);
    assert.ok(rowOf(tree, /│ {3}cortex-tui-tree-c-/) > nodeRow, `the project under c:\n${tree}`);

    // a, b, c, c's project, its workspace, the session: selecting it opens its events, read from c.
    for (let step = 0; step < 5; step++) await screen.press('j');
    await screen.waitForScreen((text) => text.includes('You said: hello from c'), "the session's events from c");

    // Up to its workspace; t opens a terminal there, on c.
    await screen.press('k');
    await screen.press('t');
    await screen.waitForScreen((text) => text.includes('keys go to the terminal'), 'the terminal, focused');
    await screen.type('echo on-c-$((6*7))');
    await screen.press('Enter');
    await screen.waitForScreen((text) => text.includes('on-c-42'), "the terminal's answer");
    const { terminals } = await c.client.call('term_list', {});
    assert.equal(terminals.length, 1, 'the terminal runs on c');
    assert.equal(terminals[0]!.status, 'running');
    assert.deepEqual((await a.client.call('term_list', {})).terminals, [], 'and not on a');
  });
});
