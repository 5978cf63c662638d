import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import type { Session, Workspace } from '../../src/protocol/runtime-types.js';
import type { DiffTab, DiffTarget } from '../../tui/tabs/diff/use-diff-tab.js';
import type { Selection, TabContext } from '../../tui/tabs/tab.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git-repo.js';
import { SessionWatch } from '../helpers/session-watch.js';
import type { Rendered } from './helpers/frames.js';
import { noEvents } from './helpers/tabs.js';

// Ink's colours come from chalk, which fixes its colour depth from the environment when it
// loads: without this the frames have no colour codes and the colour checks could not fail.
// The bundle (with Ink in it) is therefore imported after the variable is set.
process.env['FORCE_COLOR'] = '1';
const { tui } = await import('./helpers/shipped.js');
const { lines, renderWatched } = await import('./helpers/frames.js');
const { Box, commandFor, keyName, Text, useCallback, useDiffTab, useInput, useRef, useState } = tui;

/** The latest controller and every notice, for the assertions that are not about frames. */
interface Probe {
  tab: DiffTab | undefined;
  notices: string[];
}

/** The Diff tab alone, with keys routed as the app routes them: the key table first, then `type`. */
function Harness({ client, selection, probe }: { client: Client; selection: Selection; probe: Probe }) {
  const [notice, setNotice] = useState('');
  const notify = useCallback(
    (text: string) => {
      probe.notices.push(text);
      setNotice(text);
    },
    [probe],
  );
  const context: TabContext = {
    client,
    generation: 0,
    selection,
    open: { session: selection.session, events: noEvents },
    active: true,
    focused: true,
    width: 60,
    height: 20,
    notify,
    showTab: () => undefined,
    selectInTree: () => undefined,
  };
  const tab = useDiffTab(context);
  probe.tab = tab;
  // Ink hands a key to the handler of the render before its effects ran; the app's key queue gives
  // each key the newest render, and so does this ref.
  const latest = useRef(tab);
  latest.current = tab;
  useInput((input, key) => {
    const command = commandFor(keyName(input, key), latest.current.focus);
    if (command?.owner === 'diff') latest.current.perform(command.action);
    else if (command === undefined) latest.current.type?.(input, key);
  });
  return (
    <Box flexDirection="column">
      {tab.render()}
      <Text>{`notice: ${notice}`}</Text>
    </Box>
  );
}

/** SGR codes as the checks name them: 31 red, 32 green, 36 cyan (palette colours 1, 2, 6), 7 inverse. */
const PALETTE: Record<number, number> = { 31: 1, 32: 2, 36: 6 };

/** Whether `text` is drawn on the screen with an SGR code in effect. */
function drawnWith(view: Rendered, code: number, text: string): boolean {
  const style = view.styleOf(text);
  return code === 7 ? style?.inverse === true : style?.colour === PALETTE[code];
}

/** The frame's rows without the pane's border. */
function rows(frame: string): string[] {
  return lines(frame).map((row) => row.replace(/^[│┌└]/, '').replace(/[│┐┘]$/, ''));
}

/**
 * The Diff tab against a real daemon: a real git repository as the workspace
 * and a fake-provider session whose turns change files (`/write`, and `/run`
 * for edits in the middle of a file and a binary file), so every diff shown
 * was made by the daemon's snapshots, and every revert happens on disk.
 */
describe('Diff tab against a real daemon', () => {
  const work = tempDir('cortex-tui-diff-');
  const repo = join(work.path, 'repo');
  let daemon: DaemonHandle;
  let control: Client;
  let client: Client;
  let watch: SessionWatch;
  let session: Session;
  let workspace: Workspace;
  let view: Rendered;
  const probe: Probe = { tab: undefined, notices: [] };
  /**
   * The pane's title. It names a turn as soon as the turn is asked for ("Turn 1/2 …") and adds the
   * diff's summary ("· 4 files +4 −3") only once the daemon's answer is in: a wait for a turn's diff
   * waits for its summary. A wait for the name alone also took the frame drawn while the answer was on
   * its way (at load that frame lasts ~100 ms): the assertions then read "Loading the diff…", and `n`
   * pressed next found no hunk. That was issue 17's "lost answer": every answer came (a trace of both
   * sides settled every call), later than the test looked.
   */
  const title = (frame: string) => rows(frame)[1] ?? '';
  /** The first line of the diff body: below the title and a file list of `files` rows. */
  const bodyTop = (frame: string, files: number) => (rows(frame)[2 + files] ?? '').trimEnd();
  const show = (target: DiffTarget) => probe.tab!.show(target);
  const noticeSaying = (text: string) =>
    view.waitFor((frame) => frame.includes(`notice: ${text}`), `the notice ${text}`);

  before(async () => {
    const big = Array.from({ length: 60 }, (_, index) => `line ${index + 1}`).join('\n');
    mkdirSync(repo);
    makeRepo(repo, { 'big.txt': `${big}\n`, 'notes.txt': 'one\n' });
    daemon = await startDaemon();
    control = await daemon.connect();
    client = await daemon.connect();
    workspace = (await control.call('workspace_add', { path: repo })).workspace;
    const started = await control.call('session_start', {
      workspace: workspace.id,
      provider: 'fake',
      prompt: [
        '/write notes.txt changed by the turn',
        "/run sed -i 's/^line 5$/LINE FIVE/; s/^line 50$/LINE FIFTY/' big.txt",
        '/write zeta.txt a new file',
        "/run printf 'a\\000b' > zz.bin",
      ].join('\n'),
    });
    watch = await SessionWatch.start(control, started.session.id);
    await watch.turnEnd(1);
    await control.call('session_send', { session: started.session.id, prompt: '/write second.txt two' });
    await watch.turnEnd(2);
    session = (await control.call('session_get', { session: started.session.id })).session;
    view = renderWatched(
      <Harness
        client={client}
        selection={{ workspace, project: undefined, session, terminal: undefined }}
        probe={probe}
      />,
    );
  });

  after(async () => {
    view?.unmount();
    client?.close();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it("shows the selected session's latest turn, and steps to the previous and next turn", async () => {
    let frame = await view.waitFor((text) => title(text).includes('Turn 2/2 (latest) · 1 file +1 −0'), 'turn 2');
    assert.match(rows(frame)[2]!, /^A second\.txt \+1 −0/);
    await view.press('<');
    frame = await view.waitFor((text) => title(text).startsWith('Turn 1/2 · 4 files +4 −3'), 'turn 1');
    await view.press('>');
    await view.waitFor((text) => title(text).startsWith('Turn 2/2 (latest) · 1 file'), 'back to the latest turn');
  });

  it('draws the file list and the hunks: @@ cyan, + green, - red, context plain, with line numbers', async () => {
    await view.press('<');
    const frame = await view.waitFor((text) => title(text).startsWith('Turn 1/2 · 4 files'), 'turn 1');
    const shown = rows(frame);
    assert.deepEqual(
      shown.slice(2, 6).map((row) => row.trimEnd()),
      ['M big.txt +2 −2', 'M notes.txt +1 −1', 'A zeta.txt +1 −0', 'A zz.bin +0 −0 bin'],
    );
    assert.equal(bodyTop(frame, 4), '── M big.txt  +2 −2');
    assert.match(shown[7]!, /^@@ -2,7 \+2,7 @@/);
    assert.ok(
      shown.some((row) => row.trimEnd() === ' 4  line 4'),
      'a context line with its number',
    );
    assert.ok(
      shown.some((row) => row.trimEnd() === '   -line 5'),
      'a removed line, with no new-side number',
    );
    assert.ok(
      shown.some((row) => row.trimEnd() === ' 5 +LINE FIVE'),
      'an added line with its number',
    );
    assert.ok(drawnWith(view, 36, '@@ -2,7 +2,7 @@'), 'the @@ line is cyan');
    assert.ok(drawnWith(view, 32, '+LINE FIVE'), 'the added line is green');
    assert.ok(drawnWith(view, 31, '-line 5'), 'the removed line is red');
    assert.ok(!drawnWith(view, 32, 'line 4') && !drawnWith(view, 31, 'line 4'), 'context is plain');
    assert.ok(drawnWith(view, 7, 'M big.txt'), 'the current file is highlighted in the list');
  });

  it('n/N jump between hunks and f/F between files, and a binary file says so', async () => {
    await view.press('n');
    let frame = await view.waitFor((text) => bodyTop(text, 4).startsWith('@@ -2,7 +2,7 @@'), 'the first hunk');
    await view.press('n');
    frame = await view.waitFor((text) => bodyTop(text, 4).startsWith('@@ -47,7 +47,7 @@'), 'the second hunk');
    assert.ok(drawnWith(view, 7, '@@ -47,7 +47,7 @@'), 'the current hunk is highlighted');
    await view.press('n');
    frame = await view.waitFor((text) => bodyTop(text, 4).startsWith('@@ -1,1 +1,1 @@'), 'the hunk in notes.txt');
    assert.ok(drawnWith(view, 7, 'M notes.txt'), 'the list follows into the next file');
    await view.press('N');
    await view.waitFor((text) => bodyTop(text, 4).startsWith('@@ -47,7 +47,7 @@'), 'back to the second hunk');
    await view.press('f');
    await view.waitFor((text) => bodyTop(text, 4) === '── M notes.txt  +1 −1', 'notes.txt');
    await view.press('f', 'f');
    frame = await view.waitFor((text) => bodyTop(text, 4) === '── A zz.bin  +0 −0', 'the binary file');
    assert.equal(rows(frame)[7]!.trimEnd(), '  binary file: no lines to show');
    await view.press('F');
    await view.waitFor((text) => bodyTop(text, 4) === '── A zeta.txt  +1 −0', 'zeta.txt');
    await view.press('g', 'j');
    await view.waitFor((text) => bodyTop(text, 4).startsWith('@@ -2,7 +2,7 @@'), 'one line below the top');
  });

  it('show() with a path (Enter on a file change in the Events tab) scrolls to that file', async () => {
    show({ kind: 'turn', session: session.id, turn: 1, path: 'zeta.txt' });
    const frame = await view.waitFor((text) => bodyTop(text, 4) === '── A zeta.txt  +1 −0', 'zeta.txt at the top');
    assert.match(title(frame), /^Turn 1\/2 ·/);
    assert.ok(drawnWith(view, 7, 'A zeta.txt'));
    // An absolute path, as Codex reports file changes, finds the same file.
    show({ kind: 'turn', session: session.id, turn: 1, path: join(repo, 'notes.txt') });
    await view.waitFor((text) => bodyTop(text, 4) === '── M notes.txt  +1 −1', 'notes.txt at the top');
  });

  it('w switches to the workspace diff (every change against HEAD) and back to the latest turn', async () => {
    await view.press('w');
    const frame = await view.waitFor((text) => title(text).startsWith('Workspace vs HEAD · 5 files'), 'the workspace');
    assert.match(frame, /A second\.txt \+1 −0/);
    await view.press('X');
    await noticeSaying('Revert undoes a turn');
    await view.press('w');
    await view.waitFor((text) => title(text).startsWith('Turn 2/2 (latest) · 1 file'), 'the latest turn again');
  });

  it('x asks before reverting the current file (any other key keeps it, y restores it on disk); X reverts the turn', async () => {
    show({ kind: 'turn', session: session.id, turn: 1, path: 'notes.txt' });
    await view.waitFor((text) => bodyTop(text, 4) === '── M notes.txt  +1 −1', 'notes.txt');
    await view.press('x');
    await view.waitFor((text) => text.includes('Revert notes.txt to before turn 1? y/n'), 'the question');
    await view.press('j');
    await noticeSaying('Kept the changes.');
    assert.equal(readFileSync(join(repo, 'notes.txt'), 'utf8'), 'changed by the turn\n');
    await view.press('x');
    await view.waitFor((text) => text.includes('Revert notes.txt to before turn 1? y/n'), 'the question again');
    await view.press('y');
    await noticeSaying('Reverted notes.txt to before turn 1');
    assert.equal(readFileSync(join(repo, 'notes.txt'), 'utf8'), 'one\n');
    assert.equal(readFileSync(join(repo, 'zeta.txt'), 'utf8'), 'a new file\n', 'the rest of the turn stays');

    // X takes back all of a turn: turn 2 only added second.txt, so reverting it deletes the file.
    show({ kind: 'turn', session: session.id, turn: 2 });
    await view.waitFor((text) => title(text).startsWith('Turn 2/2 · 1 file'), 'turn 2');
    await view.press('X');
    await view.waitFor((text) => text.includes('Revert all of turn 2? y/n'), 'the question for the turn');
    await view.press('y');
    await noticeSaying('Reverted second.txt to before turn 2');
    assert.equal(existsSync(join(repo, 'second.txt')), false);
  });

  it('c leaves a comment on a hunk; composePrompt quotes file, lines, changed lines and comment, cleared once sent and kept if refused', async () => {
    show({ kind: 'turn', session: session.id, turn: 1, path: 'big.txt' });
    await view.waitFor((text) => bodyTop(text, 4) === '── M big.txt  +2 −2', 'big.txt');
    await view.press('n', 'n');
    await view.waitFor((text) => bodyTop(text, 4).startsWith('@@ -47,7 +47,7 @@'), 'the second hunk');
    await view.press('c');
    await view.waitFor((text) => text.includes('✎ ▏'), 'the comment input');
    view.stdin.write('use a constant');
    await view.waitFor((text) => text.includes('✎ use a constant▏'), 'the typed comment');
    await view.press('\r');
    const frame = await view.waitFor((text) => title(text).includes('✎1'), 'the comment kept');
    assert.ok(
      rows(frame).some((row) => row.trimEnd() === '✎ use a constant'),
      'the comment under its hunk',
    );
    assert.ok(drawnWith(view, 36, '@@ -47,7 +47,7 @@ line 46 ✎1'), 'its hunk is marked');
    assert.match(frame, /M big\.txt \+2 −2 ✎1/);
    assert.equal(probe.tab!.comments, 1);

    const first = probe.tab!.composePrompt('go on');
    const { prompt } = first;
    assert.match(prompt, /big\.txt, lines 47-53 \(turn 1 of session s_\w+\):/);
    assert.match(prompt, /-line 50\n\+LINE FIFTY/);
    assert.doesNotMatch(prompt, /line 49/, 'context lines are not quoted');
    assert.match(prompt, /use a constant/);
    assert.ok(prompt.endsWith('\n\ngo on'), prompt);
    assert.equal(probe.tab!.composePrompt('meanwhile').prompt, 'meanwhile', 'on its way, not quoted twice');
    first.refused();
    assert.equal(probe.tab!.comments, 1, 'a refused message leaves its comments in Diff');
    const again = probe.tab!.composePrompt('go on');
    assert.equal(again.prompt, prompt, 'the next message quotes them');
    again.sent();
    await view.waitFor((text) => !title(text).includes('✎'), 'the comments cleared');
    assert.equal(probe.tab!.comments, 0);
    assert.equal(probe.tab!.composePrompt('only this').prompt, 'only this');
  });

  it('Escape drops a comment being typed', async () => {
    await view.press('c');
    await view.waitFor((text) => text.includes('✎ ▏'), 'the comment input');
    view.stdin.write('never mind');
    await view.waitFor((text) => text.includes('✎ never mind▏'), 'the typed comment');
    await view.press('\u001b');
    await view.waitFor((text) => !text.includes('never mind'), 'the input gone');
    assert.equal(probe.tab!.comments, 0);
  });

  it('s sends the comments at once as a turn of the session, quoting them in its prompt', async () => {
    await view.press('f');
    await view.waitFor((text) => bodyTop(text, 4) === '── M notes.txt  +1 −1', 'notes.txt');
    await view.press('c');
    await view.waitFor((text) => text.includes('✎ ▏'), 'the comment input');
    view.stdin.write('keep the old first line');
    await view.waitFor((text) => text.includes('✎ keep the old first line▏'), 'the typed comment');
    await view.press('\r');
    await view.waitFor((text) => title(text).includes('✎1'), 'the comment kept');
    await view.press('s');
    await noticeSaying('Review sent: started turn 3');
    const started = await watch.waitFor(
      (event) => event.type === 'turn_started' && event.turn === 3,
      'turn 3 to start',
    );
    const prompt = started.type === 'turn_started' ? String(started.payload.prompt) : '';
    assert.match(prompt, /notes\.txt, line 1 \(turn 1 of session/);
    assert.match(prompt, /-one\n\+changed by the turn/);
    assert.match(prompt, /keep the old first line/);
    await view.waitFor((text) => !title(text).includes('✎'), 'the comments cleared once sent');
    await watch.turnEnd(3);
  });

  it("follows the selected session's new turns, each from the top of its diff", async () => {
    await view.press('w');
    await view.waitFor((text) => title(text).startsWith('Workspace vs HEAD'), 'the workspace');
    await view.press('w');
    await view.waitFor((text) => bodyTop(text, 1) === '── A second.txt  +1 −0', 'the latest turn (2) again');
    // n scrolls even where the whole diff fits (j would not move).
    await view.press('n');
    await view.waitFor((text) => bodyTop(text, 1).startsWith('@@ -0,0 +1,1 @@'), 'scrolled to the hunk');
    const sent = await control.call('session_send', {
      session: session.id,
      prompt: '/write fourth.txt four\n/write fifth.txt five',
    });
    await watch.turnEnd(sent.turn);
    // The app's tree passes the session anew as session_update notifications change it.
    const updated = (await control.call('session_get', { session: session.id })).session;
    view.rerender(
      <Harness
        client={client}
        selection={{ workspace, project: undefined, session: updated, terminal: undefined }}
        probe={probe}
      />,
    );
    const frame = await view.waitFor(
      (text) => title(text).startsWith(`Turn ${sent.turn}/${sent.turn} (latest) · 2 files`),
      'the new turn',
    );
    assert.equal(bodyTop(frame, 2), '── A fifth.txt  +1 −0');
  });
});
