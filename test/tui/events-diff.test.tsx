import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git-repo.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { type Rendered } from './helpers/frames.js';
import { renderApp } from './helpers/app.js';

/**
 * The tabs working together in the whole App, against a real daemon and a real
 * git repository: Enter on a file change in Events opens its diff, and a review
 * comment left there goes out with the next message from Chat.
 */
describe('Events → Diff → Chat in the App', () => {
  const work = tempDir('cortex-tui-review-');
  const repo = join(work.path, 'repo');
  let daemon: DaemonHandle;
  let control: Client;
  let session: string;
  let watch: SessionWatch;
  let app: Rendered;

  before(async () => {
    mkdirSync(repo);
    makeRepo(repo, { 'greeting.txt': 'hello\n' });
    daemon = await startDaemon();
    control = await daemon.connect();
    const { workspace } = await control.call('workspace_add', { path: repo });
    ({
      session: { id: session },
    } = await control.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: 'change it\n/write greeting.txt goodbye',
    }));
    watch = await SessionWatch.start(control, session);
    await watch.turnEnd(1);
    app = renderApp(daemon.socket, repo);
  });

  after(async () => {
    app?.unmount();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it("marks the lowest change on screen (here the turn's diff), and Enter opens that turn's diff", async () => {
    await app.waitFor((text) => text.includes('○ fake'), 'the session in the tree');
    await app.press('j', 'j', 'j', '\r');
    const events = await app.waitFor((text) => text.includes('⏎ diff: 1 file(s)'), 'the turn diff marked');
    assert.match(events, /update greeting\.txt/);
    await app.press('\r');
    const frame = await app.waitFor((text) => text.includes('+goodbye'), 'the diff of the turn');
    assert.match(frame, /-hello/);
    assert.match(frame, /greeting\.txt/);
  });

  it('sends a review comment on a hunk with the next Chat message, quoting the file', async () => {
    await app.press('c');
    await app.press(...'say hello instead', '\r');
    await app.waitFor((text) => text.includes('4 Diff (1)'), 'one comment counted in the tab strip');
    await app.press('2');
    await app.waitFor((text) => text.includes('+1 review comments'), 'the chat hint naming the comment');
    await app.press(...'please fix', '\r');
    const started = await watch.waitFor((event) => event.type === 'turn_started' && event.turn === 2, 'turn 2 started');
    assert.equal(started.type, 'turn_started');
    if (started.type !== 'turn_started') return;
    assert.match(started.payload.prompt, /greeting\.txt/);
    assert.match(started.payload.prompt, /say hello instead/);
    assert.match(started.payload.prompt, /please fix$/);
    await app.waitFor((text) => !text.includes('4 Diff (1)'), 'the comments sent and cleared');
  });
});
