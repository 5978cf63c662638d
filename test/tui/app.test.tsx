import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { SessionWatch } from '../helpers/session-watch.js';
import { lines, type Rendered } from './helpers/frames.js';
import { renderApp } from './helpers/app.js';

/**
 * The whole App, from the bundle cortex tui loads, drawn on a terminal in
 * memory against a real daemon on a temporary home: keys go in through stdin
 * as a terminal would send them, and every assertion is on the screen.
 */
describe('App against a real daemon', () => {
  const work = tempDir('cortex-tui-app-');
  const workspacePath = join(work.path, 'project');
  let daemon: DaemonHandle;
  let control: Client;
  let first: string;
  let app: Rendered;
  const count = (frame: string, text: string) => frame.split(text).length - 1;
  /** The notice of a message sent: `turn N started`, or `queued as turn N` while another turn runs. */
  const sent = (frame: string, turn: number) =>
    frame.includes(`turn ${turn} started`) || frame.includes(`queued as turn ${turn}`);
  /** The text of the right pane (the events, chat or form), without the tree beside it (30 columns at 100). */
  const pane = (frame: string) =>
    lines(frame)
      .map((line) => line.slice(30))
      .join('\n');

  before(async () => {
    mkdirSync(workspacePath);
    daemon = await startDaemon();
    control = await daemon.connect();
    const { workspace } = await control.call('workspace_add', { path: workspacePath });
    const { session } = await control.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: ['hello app', "/run printf 'one\\ntwo\\nthree\\nfour\\nfive\\n'", '/stream 1200'].join('\n'),
    });
    first = session.id;
    const watch = await SessionWatch.start(control, first);
    await watch.turnEnd(1);
    app = renderApp(daemon.socket, workspacePath);
  });

  after(async () => {
    app?.unmount();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('says it is connecting, then shows the connected status bar and the tree', async () => {
    await app.waitFor(() => app.frames.length > 0, 'the first frame');
    assert.match(app.frames[0]!, /○ connecting/);
    const frame = await app.waitFor((text) => text.includes('● connected') && text.includes('○ fake'), 'the tree');
    const rows = lines(frame);
    assert.equal(rows.length, 24, 'the whole terminal height, no more');
    assert.match(rows.at(-1)!, /^● connected \S+ · \S+ · j\/k move · Enter open/);
    // The badge drops its words when the load takes two digits: load 12.3 does not fit 30 columns.
    assert.match(frame, /│ \S+ (load )?[\d.]+ (mem )?\d+%/);
    assert.match(frame, /│ {3}project/);
    // The workspace's path, too long for the tree, keeps its end: the directory's name.
    assert.match(frame, /│ {5}…\S*-app-\w+\/project│/);
  });

  it('opens a session with j and shows its events, following the tail', async () => {
    await app.press('j', 'j', 'j');
    const frame = await app.waitFor(
      (text) => text.includes(`${first} · fake · idle · turn 1`) && text.includes('message 1200 of 1200'),
      'the session events',
    );
    assert.match(frame, /── turn 1 done/);
    assert.doesNotMatch(frame, /── turn 1 ──/, 'the start of the turn is above the window');
  });

  it('g jumps to the first event (paging in the head), j moves down at once, k pages older in, G follows again', async () => {
    await app.press('\r');
    await app.waitFor((text) => text.includes('j/k scroll · G follow'), 'the events pane focused');
    // The newest 500 events are loaded (messages 702..1200 of seqs 1..1203); g loads the session's
    // first page in their place and shows its top.
    await app.press('g');
    let frame = await app.waitFor((text) => text.includes('── fake session in'), 'the first event');
    assert.match(pane(frame), /^│── fake session in/m);
    assert.match(frame, /scrolled \(G follows\)/);
    assert.doesNotMatch(frame, /older events load/);
    // g stops at the oldest line; the next j must move one line, not wait out an endless offset.
    await app.press('j');
    frame = await app.waitFor((text) => !text.includes('── fake session in'), 'one line down from the top');
    assert.match(pane(frame), /^│── turn 1 ──/m);
    await app.press('G');
    frame = await app.waitFor((text) => text.includes('── turn 1 done'), 'the tail again');
    assert.doesNotMatch(frame, /scrolled/);
    // Paging up from the tail past the oldest loaded event (message 702) pages the one before in.
    for (let page = 0; page < 30; page++) await app.press('\u001b[5~');
    frame = await app.waitFor((text) => /message (\d+) of 1200/.test(text), 'scrolled up');
    await app.waitFor((text) => Number(/message (\d+) of 1200/.exec(text)?.[1]) < 700, 'an older page paged in');
    await app.press('k');
    frame = await app.waitFor((text) => text.includes('scrolled (G follows)'), 'scrolled');
    assert.doesNotMatch(frame, /── turn 1 done/);
    await app.press('G');
    await app.waitFor((text) => text.includes('── turn 1 done') && !text.includes('scrolled'), 'following');
  });

  it('expands and collapses command output with o', async () => {
    await app.press('g');
    let frame = await app.waitFor((text) => text.includes('… 2 more lines (o shows all)'), 'the collapsed command');
    assert.doesNotMatch(frame, / {2}four/);
    await app.press('o');
    frame = await app.waitFor((text) => text.includes('  five'), 'the whole output');
    assert.doesNotMatch(frame, /more lines/);
    await app.press('o');
    await app.waitFor((text) => text.includes('… 2 more lines (o shows all)'), 'collapsed again');
    await app.press('G');
    await app.waitFor((text) => !text.includes('scrolled'), 'following');
  });

  it('sends a turn from the Chat tab, even when Enter comes right after the last letter', async () => {
    await app.press('2');
    await app.waitFor((text) => text.includes(`Message ${first} (idle)`), 'the chat tab');
    // Back to back, as a fast typist or keys queued over ssh arrive: each key must see the one
    // before it (Enter used to send the draft as it was before the last letters, or nothing).
    await app.press(...'hi there', '\r');
    await app.waitFor((text) => sent(text, 2), 'the send confirmed');
    await app.press('\u001b');
    await app.waitFor((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await app.press('1');
    const frame = await app.waitFor((text) => text.includes('You said: hi there'), 'the answer');
    assert.match(frame, /> hi there/);
    assert.equal(count(frame, 'You said: hi there'), 1);
  });

  it('handles keys that arrive in one read: 2, a message and Enter', async () => {
    app.stdin.write('2again, in one go\r');
    // Turn 2 may still be running here (the test above waits for its echo, not its end): queued then.
    await app.waitFor((text) => sent(text, 3), 'the send confirmed');
    await app.press('\u001b');
    await app.waitFor((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await app.press('1');
    await app.waitFor((text) => text.includes('You said: again, in one go'), 'the answer');
  });

  it('starts a session with n: provider chosen with →, a prompt, Enter', async () => {
    await app.press('\t');
    await app.waitFor((text) => text.includes('j/k move · Enter open'), 'the tree focused');
    await app.press('n');
    await app.waitFor((text) => text.includes('New session in') && text.includes('‹ codex ›'), 'the form');
    // The form opens on the prompt; ↑ reaches the provider, → changes it (codex, codex-exec, fake), Tab goes back down.
    await app.press('\u001b[A', '\u001b[C', '\u001b[C');
    await app.waitFor((text) => text.includes('‹ fake ›'), 'the fake provider chosen');
    // Tab, the prompt and Enter in one read, as tmux or ssh may deliver them.
    app.stdin.write('\tfrom the form\r');
    // The turn's events and the session's idle status arrive separately; wait for both.
    const frame = await app.waitFor(
      (text) => text.includes('You said: from the form') && count(text, '○ fake') === 2,
      'the new session, idle, beside the first',
    );
    // Both sessions in the tree; the new one is open.
    assert.equal(count(frame, '○ fake'), 2, frame);
    assert.doesNotMatch(frame, new RegExp(`${first} · fake`));
  });

  it('shows the help with ?, scrolls it with j, and closes it with ?', async () => {
    await app.press('?');
    let frame = await app.waitFor((text) => text.includes('Cortex keys'), 'the help');
    assert.match(frame, /Esc closes help/);
    assert.match(frame, /q +quit \(sessions keep running/);
    await app.press('j');
    frame = await app.waitFor((text) => /j\/k scroll · 2–/.test(text), 'the help scrolled');
    await app.press('?');
    frame = await app.waitFor((text) => !text.includes('Cortex keys'), 'the help closed');
    assert.match(frame, /You said: from the form/);
  });

  it('reconnects after the daemon restarts and resumes the live events without repeating any', async () => {
    const home = daemon.home;
    await daemon.kill();
    await app.waitFor((text) => text.includes('◌ reconnecting'), 'reconnecting');
    daemon = await startDaemon({ home });
    control.close();
    control = await daemon.connect();
    await app.waitFor((text) => text.includes('● connected'), 'connected again');
    const { sessions } = await control.call('session_list', {});
    const latest = sessions.find((session) => session.id !== first)!;
    const watch = await SessionWatch.start(control, latest.id);
    const { turn } = await control.call('session_send', { session: latest.id, prompt: 'after restart' });
    await watch.turnEnd(turn);
    const frame = await app.waitFor((text) => text.includes('You said: after restart'), 'a turn after the restart');
    assert.equal(count(frame, 'You said: from the form'), 1, frame);
    assert.equal(count(frame, 'You said: after restart'), 1, frame);
  });
});
