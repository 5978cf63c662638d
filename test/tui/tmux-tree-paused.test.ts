import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CORTEX_BIN } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { finishedSessionOn, gitRepo, lineOfThree, reaches } from '../tree/tree-helpers.js';
import { TmuxScreen } from './helpers/tmux.js';

const PAUSED = /paused: c unreachable \((link down|timed out|refused)\) since \d\d:\d\d:\d\d/;

/** How many times `text` is on the screen. */
const count = (screen: string, text: string) => screen.split(text).length - 1;

/**
 * An open pane whose node goes away, as a person sees it: `cortex tui` on a
 * of a line a — b — c shows the events of a session on c; the a–b link is cut,
 * the pane says its stream is paused, the session goes on on c, the link
 * heals, the notice goes and what c did meanwhile arrives, once. The same
 * for a terminal on c, whose attach goes on by itself.
 */
describe('cortex tui on a: an open pane of a node that goes away and comes back', () => {
  const mesh = new TestMesh();
  const repo = gitRepo('cortex-tui-paused-c-');
  let a: MeshNode;
  let b: MeshNode;
  let c: MeshNode;
  let session: string;
  let screen: TmuxScreen | undefined;

  before(async () => {
    [a, b, c] = await lineOfThree(mesh);
    session = await finishedSessionOn(c, repo.path, 'before the cut');
  });

  after(async () => {
    await screen?.kill();
    await mesh.cleanup();
    repo.remove();
  });

  it('says the Events stream is paused while c is away, then goes on without gaps or repeats', async () => {
    screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', a.daemon.home, 'tui'], {
      width: 120,
      height: 30,
    });
    await screen.waitForScreen((text) => /│ {6}[ •]○ fake/.test(text), "c's session in a's tree");
    // a, b, c, c's project, its workspace, the session: selecting it opens its events, read from c.
    for (let step = 0; step < 5; step++) await screen.press('j');
    await screen.waitForScreen((text) => text.includes('You said: before the cut'), "the session's events from c");

    await a.client.call('cluster_disconnect', { node: 'b' });
    const paused = await screen.waitForScreen((text) => PAUSED.test(text), 'the pane saying its stream is paused');
    assert.equal(count(paused, 'You said: before the cut'), 1, `the events stay:\n${paused}`);

    const watch = await SessionWatch.start(c.client, session, 0);
    await c.client.call('session_send', { session, prompt: 'while a was away' });
    await watch.turnEnd(2);
    await a.connect(b);
    await reaches(a, 'c');
    const resumed = await screen.waitForScreen(
      (text) => !PAUSED.test(text) && text.includes('You said: while a was away'),
      'the notice gone and the events c made meanwhile',
    );
    assert.equal(count(resumed, 'You said: before the cut'), 1, `nothing twice:\n${resumed}`);
    assert.equal(count(resumed, 'You said: while a was away'), 1, `nothing twice:\n${resumed}`);

    await c.client.call('session_send', { session, prompt: 'after the link healed' });
    await screen.waitForScreen((text) => text.includes('You said: after the link healed'), 'live events again');
  });

  it('says a Terminal of c is paused, then shows what c wrote meanwhile, once, and takes keys again', async () => {
    assert.ok(screen, 'the TUI of the test before');
    // Up to the session's workspace; t opens a terminal there, on c.
    await screen.press('k');
    await screen.press('t');
    await screen.waitForScreen((text) => text.includes('keys go to the terminal'), 'the terminal, focused');
    await screen.type('echo on-c-$((6*7))');
    await screen.press('Enter');
    await screen.waitForScreen((text) => text.includes('on-c-42'), "the terminal's answer");
    const [terminal] = (await c.client.call('term_list', {})).terminals;
    assert.ok(terminal, 'the terminal runs on c');

    await a.client.call('cluster_disconnect', { node: 'b' });
    await screen.waitForScreen((text) => PAUSED.test(text), 'the pane saying its stream is paused');
    await c.client.call('term_write', { id: terminal.id, data: 'echo while-$((2*3))-away\n' });
    await a.connect(b);
    const resumed = await screen.waitForScreen(
      (text) => !PAUSED.test(text) && text.includes('while-6-away'),
      'the notice gone and what c wrote meanwhile',
    );
    assert.equal(count(resumed, 'while-6-away'), 1, `nothing twice:\n${resumed}`);
    await screen.type('echo back-$((7*8))');
    await screen.press('Enter');
    await screen.waitForScreen((text) => text.includes('back-56'), 'keys reaching c again');
  });
});
