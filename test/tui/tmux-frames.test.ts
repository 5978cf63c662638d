import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CORTEX_BIN } from '../helpers/daemon.js';
import { TmuxScreen } from './helpers/tmux.js';
import { tuiSuite } from './helpers/tui-suite.js';

/** Synchronized output: each frame the TUI writes starts with it (Ink's own frames did too). */
const BEGIN_FRAME = '\x1b[?2026h';
/** And ends with this. */
const END_FRAME = '\x1b[?2026l';
const CLEAR_SCREEN = '\x1b[2J';
const CLEAR_SCROLLBACK = '\x1b[3J';
/** The idle time the budget is for: two of the status refreshes (every 5 s) fall in it. */
const IDLE_MS = 10_000;

/**
 * What `cortex tui` sends the terminal, byte for byte, as tmux receives it
 * (pipe-pane), in a pane where a shell printed a screenful first: the TUI
 * must send only what changed after its first frame, never clear the screen,
 * and give the user's screen and scrollback back as they were when it quits.
 */
describe('what cortex tui writes to a terminal', () => {
  const suite = tuiSuite('cortex-tui-frames-', 'app', 'hello frames');
  const output = join(suite.work.path, 'pane.bytes');

  /** Everything recorded so far, as text (none before the shell tmux starts for the recording made the file). */
  const recorded = () => (existsSync(output) ? readFileSync(output, 'latin1') : '');
  /** The frames written after `offset` (each from one start of synchronized output to the next). */
  const framesAfter = (offset: number) =>
    recorded()
      .slice(offset)
      .split(BEGIN_FRAME)
      .slice(1)
      .map((frame) => BEGIN_FRAME + frame);
  /** The recording up to the end of its last whole frame. */
  const wholeFrames = () => {
    const text = recorded();
    const end = text.lastIndexOf(END_FRAME);
    return end < 0 ? '' : text.slice(0, end + END_FRAME.length);
  };
  /** Polls the recording until `find` finds what it looks for there: the bytes have no event of their own. */
  const inRecording = async (find: () => string | undefined, what: string, offset = 0) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} recorded: ${JSON.stringify(recorded().slice(offset))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  /** The first frame after `offset` that passes `test`, once the recording holds it to its end. */
  const frameAfter = (offset: number, test: (frame: string) => boolean, what: string) =>
    inRecording(
      () => framesAfter(offset).find((frame) => frame.includes(END_FRAME) && test(frame)),
      `frame with ${what}`,
      offset,
    );

  it('sends only what changed: a j under 1 KB, 10 s idle under 200 bytes, never a cleared screen; quitting gives the screen back', async () => {
    suite.screen = await TmuxScreen.start(
      [
        '/bin/sh',
        '-c',
        // A screen and a scrollback of the user's, then the TUI once the test has looked at them.
        `seq 1 60; printf 'ready> '; read line; exec "$@"`,
        'sh',
        process.execPath,
        CORTEX_BIN,
        '--home',
        suite.daemon.home,
        'tui',
      ],
      { width: 100, height: 30 },
    );
    await suite.screen.waitForScreen((text) => text.includes('ready>'), 'the shell');
    const users = (await suite.screen.captureAll()).trimEnd();
    assert.match(users, /^1\n2\n3\n/, 'the scrollback holds what the shell printed');
    await suite.screen.record(output);
    await suite.screen.press('Enter');
    await suite.screen.waitForScreen(
      (text) => text.includes('● connected') && /│ +•?○ fake /.test(text),
      'the first full frame: connected, the tree down to the session',
    );
    // The screen shows a frame before the recording holds it all (cat writes it to the file after
    // tmux has read it; at load, long after): wait for the recording to hold that frame to its end.
    await inRecording(() => {
      const whole = wholeFrames();
      return whole.includes(' connected') && / fake /.test(whole) ? whole : undefined;
    }, 'whole frame that shows it');
    const firstFrame = recorded().length;

    // node → project: two rows of the tree change, and nothing else.
    const beforeKey = recorded().length;
    await suite.screen.press('j');
    const moved = await frameAfter(beforeKey, (frame) => frame.includes('app'), 'the project row selected');
    assert.ok(moved.length < 1024, `one j wrote ${moved.length} bytes: ${JSON.stringify(moved.slice(0, 300))}…`);

    const idleFrom = recorded().length;
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = recorded().slice(idleFrom);
    assert.ok(
      idle.length < 200,
      `${IDLE_MS / 1000} s idle wrote ${idle.length} bytes: ${JSON.stringify(idle.slice(0, 300))}…`,
    );

    const afterFirst = recorded().slice(firstFrame);
    assert.ok(!afterFirst.includes(CLEAR_SCREEN), 'the screen was cleared after the first frame');
    assert.ok(!recorded().includes(CLEAR_SCROLLBACK), "the user's scrollback was cleared");

    await suite.screen.press('q');
    assert.equal(await suite.screen.waitForExit(), 0);
    const back = (await suite.screen.captureAll()).trimEnd();
    assert.equal(back.slice(0, users.length), users, "the user's screen and scrollback, as they were");
    assert.doesNotMatch(back, /● connected|┌─/, 'nothing of the TUI left behind');
  });
});
