import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import type { FrameMode } from '../../tui/state/screen.js';
import { tui } from './helpers/shipped.js';

const ENTER_ALTERNATE = '\x1b[?1049h';

/**
 * The screen host with streams standing in for the terminal: a reader on
 * stdin's 'readable' event plays Ink's input, writes through inkStdout play
 * Ink's frames. What full screen relies on: while lent, Ink writes nothing
 * and reads nothing; once released, it reads again and its frame is drawn again.
 */
describe('screen host', () => {
  const setup = (mode: FrameMode) => {
    const stdin = Object.assign(new PassThrough(), { ref: () => undefined, unref: () => undefined });
    stdin.setEncoding('utf8');
    const out = Object.assign(new PassThrough(), { columns: 80, rows: 24 });
    const written: string[] = [];
    out.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    const host = tui.createScreenHost(stdin, out, mode);
    const inkKeys: string[] = [];
    const inkReader = () => {
      let chunk: string | null;
      while ((chunk = stdin.read() as string | null) !== null) inkKeys.push(chunk);
    };
    stdin.on('readable', inkReader);
    let redraws = 0;
    host.setRedraw(() => redraws++);
    host.start();
    return { stdin, written, host, inkKeys, inkReader, redraws: () => redraws };
  };
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  /** Lends the screen: Ink's frame 2 and the key typed meanwhile must not reach Ink or the terminal. */
  const lend = async ({ stdin, host, inkKeys, inkReader }: ReturnType<typeof setup>) => {
    host.inkStdout.write('frame 1');
    stdin.write('a');
    await turn();
    assert.deepEqual(inkKeys, ['a']);
    const raw = host.screen.takeOver();
    assert.ok(raw, 'the screen is free');
    assert.equal(host.screen.takeOver(), undefined, 'one borrower at a time');
    const borrowed: string[] = [];
    raw.onInput((data) => borrowed.push(data));
    let called = false;
    host.inkStdout.write('frame 2', () => (called = true));
    raw.write('program output');
    stdin.write('\x1d');
    await turn();
    assert.equal(called, true, "a held write still calls back, or Ink's writer would wait");
    assert.deepEqual(borrowed, ['\x1d']);
    assert.deepEqual(inkKeys, ['a'], 'Ink read nothing while the screen was lent');
    raw.release();
    assert.deepEqual(stdin.listeners('readable'), [inkReader], "Ink's reader is back, and only it");
    stdin.write('b');
    await turn();
    assert.deepEqual(inkKeys, ['a', 'b']);
    assert.deepEqual(borrowed, ['\x1d']);
    assert.ok(host.screen.takeOver(), 'free again');
  };

  it("in ink mode drops Ink's writes and takes its keys while lent, and asks Ink to redraw on release", async () => {
    const context = setup('ink');
    await lend(context);
    assert.equal(context.redraws(), 1);
    assert.equal(context.written.join(''), 'frame 1program output');
  });

  it('in diff mode holds the frames while lent, and on release draws the newest whole on the alternate screen', async () => {
    const context = setup('diff');
    await lend(context);
    const output = context.written.join('');
    const [first, rest] = output.split('program output');
    assert.ok(first!.startsWith(ENTER_ALTERNATE) && first!.includes('frame 1'), 'frame 1 on the alternate screen');
    assert.doesNotMatch(first!, /frame 2/, 'nothing drawn while lent');
    // The program may have left the alternate screen and shown the cursor: both are taken again.
    assert.ok(rest!.startsWith(ENTER_ALTERNATE), rest);
    assert.match(rest!, /frame 2/);
    assert.doesNotMatch(rest!, /frame 1/);
    assert.equal(context.redraws(), 0, 'the frame held is drawn, Ink need not render again');
  });
});
