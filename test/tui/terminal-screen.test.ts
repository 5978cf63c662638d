import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { createScreenHost } from '../../tui/state/screen.js';

/**
 * The screen host with streams standing in for the terminal: a reader on
 * stdin's 'readable' event plays Ink's input, writes through inkStdout play
 * Ink's frames. What full screen relies on: while lent, Ink writes nothing
 * and reads nothing; once released, it reads again and is asked to redraw.
 */
describe('screen host', () => {
  const setup = () => {
    const stdin = new PassThrough();
    stdin.setEncoding('utf8');
    const out = new PassThrough();
    const written: string[] = [];
    out.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    const host = createScreenHost(stdin as unknown as NodeJS.ReadStream, out as unknown as NodeJS.WriteStream);
    const inkKeys: string[] = [];
    const inkReader = () => {
      let chunk: string | null;
      while ((chunk = stdin.read() as string | null) !== null) inkKeys.push(chunk);
    };
    stdin.on('readable', inkReader);
    let redraws = 0;
    host.setRedraw(() => redraws++);
    return { stdin, out, written, host, inkKeys, inkReader, redraws: () => redraws };
  };
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it("drops Ink's writes and takes its keys while lent, and gives both back on release", async () => {
    const { stdin, written, host, inkKeys, inkReader, redraws } = setup();
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
    assert.equal(called, true, "a dropped write still calls back, or Ink's writer would wait");
    raw.write('program output');
    stdin.write('\x1d');
    await turn();
    assert.deepEqual(borrowed, ['\x1d']);
    assert.deepEqual(inkKeys, ['a'], 'Ink read nothing while the screen was lent');

    raw.release();
    assert.equal(redraws(), 1);
    assert.deepEqual(stdin.listeners('readable'), [inkReader], "Ink's reader is back, and only it");
    host.inkStdout.write('frame 3');
    stdin.write('b');
    await turn();
    assert.deepEqual(inkKeys, ['a', 'b']);
    assert.deepEqual(borrowed, ['\x1d']);
    assert.equal(written.join(''), 'frame 1program outputframe 3');
    assert.ok(host.screen.takeOver(), 'free again');
  });
});
