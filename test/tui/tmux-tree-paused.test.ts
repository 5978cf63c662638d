import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CORTEX_BIN } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { type MeshNode, TestMesh } from '../mesh/mesh-helpers.js';
import { gitRepo, lineOfThree, reaches } from '../tree/tree-helpers.js';
import { TmuxScreen } from './helpers/tmux.js';

const PAUSED = /paused: c unreachable \((link down|timed out|refused)\) since \d\d:\d\d:\d\d/;

/** How many times `text` is on the screen. */
const count = (screen: string, text: string) => screen.split(text).length - 1;

/**
 * An open pane whose node goes away, as a person sees it: `cortex tui` on a
 * of a line a — b — c shows the events of a session on c; the a–b link is cut,
 * the pane says its stream is paused, the session goes on on c, the link
 * heals, the notice goes and what c did meanwhile arrives, once.
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
    const { workspace } = await c.client.call('workspace_add', { path: repo.path });
    ({
      session: { id: session },
    } = await c.client.call('session_start', { workspace: workspace.id, provider: 'fake', prompt: 'before the cut' }));
    const watch = await SessionWatch.start(c.client, session, 0);
    assert.equal((await watch.turnEnd(1)).type, 'turn_completed', watch.summary());
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
});
