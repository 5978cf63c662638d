import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// Ink's own tokenizer, as it is installed with Ink: the bundle's rewritten copy must write what it writes.
import { styledCharsFromTokens, styledCharsToString, tokenize } from '@alcalzone/ansi-tokenize';
import { tui } from './helpers/shipped.js';

const { BLANK_CELL, CarriedMap, RowTexts, Text, render } = tui;

/**
 * What Ink's Output carries from one frame to the next in the bundle
 * (tui/frames/carried-over.ts, rewritten into ink/build/output.js by
 * scripts/bundle-tui.mjs): bounded caches, and a row's text made again only
 * when its cells changed.
 */
describe("Ink's Output, carried over from frame to frame", () => {
  it('keeps the newest entries and those asked for again, never more than twice its limit', () => {
    const map = new CarriedMap<number, string>(3);
    for (let key = 0; key < 4; key++) map.set(key, `v${key}`);
    assert.equal(map.get(0), 'v0', 'the generation before is still there, and 0 is carried into the newest');
    for (let key = 4; key < 9; key++) map.set(key, `v${key}`);
    assert.equal(map.get(1), undefined, 'never asked again: gone');
    assert.equal(map.get(0), undefined, 'asked once, then not: gone two generations later');
    assert.equal(map.get(8), 'v8');
    for (let key = 0; key < 100; key++) map.set(100 + key, 'x');
    const kept = Array.from({ length: 200 }, (_, key) => map.get(100 + key)).filter((value) => value !== undefined);
    assert.ok(kept.length <= 6, `${kept.length} entries kept`);
  });

  it('makes a row’s text again only when one of its cells is another object', () => {
    const made: string[] = [];
    const rows = new RowTexts<{ value: string }>((cells) => {
      const text = cells.map((cell) => cell.value).join('');
      made.push(text);
      return text;
    });
    const [a, b, c] = [{ value: 'a' }, { value: 'b' }, { value: 'c' }];
    assert.equal(rows.text(0, [a, b]), 'ab');
    assert.equal(rows.text(0, [a, b]), 'ab');
    assert.equal(rows.text(1, [a, b]), 'ab', 'another row, made for its own place');
    assert.equal(rows.text(0, [a, { value: 'b' }]), 'ab', 'an equal cell that is another object: made again');
    assert.equal(rows.text(0, [a, c]), 'ac');
    assert.equal(rows.text(0, [a, undefined, c]), 'ac', 'empty places are left out, as Ink does');
    assert.deepEqual(made, ['ab', 'ab', 'ab', 'ac', 'ac']);
    assert.ok(
      Object.isFrozen(BLANK_CELL) && Object.isFrozen(BLANK_CELL.styles),
      'the one blank cell cannot be changed',
    );
  });

  it('writes every line as Ink’s own tokenizer does, styles shared between characters or not', async () => {
    const sgr = (...codes: number[]) => codes.map((code) => `\u001B[${code}m`).join('');
    const lines = [
      'plain text',
      `${sgr(32)}● connected${sgr(39)} vm · root`,
      `${sgr(1)}bold ${sgr(2)}and dim${sgr(22)} none ${sgr(31, 44)}red on blue${sgr(0)} after`,
      `${sgr(7)} inverse ${sgr(27)}${sgr(4)}under${sgr(24)}${sgr(38, 5, 208)}orange${sgr(39)}`,
      `${sgr(38, 2, 10, 20, 30)}true colour${sgr(31)} red over it${sgr(39)}x`,
      `${sgr(33)}open to the end`,
      `a${sgr(0)}b${sgr(0)}c${sgr(35)}${sgr(36)}d`,
      `${sgr(1)}${sgr(1)}twice${sgr(22)}│ box ─`,
    ];
    const frames: string[] = [];
    const stdout = Object.assign(new (await import('node:events')).EventEmitter(), {
      columns: 120,
      rows: 20,
      write: (frame: string) => void frames.push(frame),
    });
    const screen = (shown: string[]) => (
      <>
        {shown.map((line, index) => (
          <Text key={index}>{line}</Text>
        ))}
      </>
    );
    const instance = render(screen(lines), { stdout: stdout as never, debug: true, patchConsole: false });
    try {
      // Again, the lines in other rows: rows made of characters the frame before made.
      instance.rerender(screen([...lines].reverse()));
      const expected = (shown: string[]) =>
        shown.map((line) => styledCharsToString(styledCharsFromTokens(tokenize(line)))).join('\n');
      const drawn = frames.filter((frame) => frame.includes('plain text'));
      assert.equal(drawn.at(-2), expected(lines));
      assert.equal(drawn.at(-1), expected([...lines].reverse()));
    } finally {
      instance.unmount();
    }
  });

  it('draws each frame as it is, whatever the frame before drew in the same places', async () => {
    // Ink's own output through the rewritten Output: the same lines and colours again and swapped.
    const frames: string[] = [];
    const stdout = Object.assign(new (await import('node:events')).EventEmitter(), {
      columns: 40,
      rows: 10,
      write: (frame: string) => void frames.push(frame),
    });
    // Colours written into the text itself: chalk draws none where the output is not a terminal.
    const line = (text: string, colour: number) => (
      <Text key={text + colour}>{`\u001B[${colour}m${text}\u001B[39m`}</Text>
    );
    const screen = (first: string, second: string) => (
      <>
        {line(first, 32)}
        {line(second, 31)}
      </>
    );
    const instance = render(screen('alpha', 'beta'), { stdout: stdout as never, debug: true, patchConsole: false });
    try {
      instance.rerender(screen('beta', 'alpha'));
      instance.rerender(screen('alpha', 'beta'));
      const green = (text: string) => `\u001B[32m${text}\u001B[39m`;
      const red = (text: string) => `\u001B[31m${text}\u001B[39m`;
      const drawn = frames.filter((frame) => frame.includes('alpha'));
      assert.equal(drawn.at(-3), `${green('alpha')}\n${red('beta')}`);
      assert.equal(drawn.at(-2), `${green('beta')}\n${red('alpha')}`);
      assert.equal(drawn.at(-1), `${green('alpha')}\n${red('beta')}`);
    } finally {
      instance.unmount();
    }
  });
});
