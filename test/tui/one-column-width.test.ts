import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// string-width itself, as Ink depends on it: what the bundle's fast path must agree with.
import realStringWidth from 'string-width';
// slice-ansi itself, with which Ink cuts lines: what the bundle's fast path for it must agree with.
import realSliceAnsi from 'slice-ansi';
import { tui } from './helpers/shipped.js';

/** The fast path alone: -1 wherever it would ask string-width. */
const fastOnly = tui.withOneColumnFastPath(() => -1);
/** What Ink measures text with in the bundle. */
const shipped = tui.stringWidth;
const SGR = (code: number, text: string) => `\u001B[${code}m${text}\u001B[39m`;
const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

describe('the bundle’s one-column fast path in front of string-width', () => {
  it('is what Ink measures with in the bundle, and agrees with string-width on every character', () => {
    assert.notEqual(shipped, realStringWidth);
    let answered = 0;
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const character = String.fromCharCode(code);
      if (fastOnly(character) !== -1) answered++;
      assert.equal(shipped(character), realStringWidth(character), hex(code));
    }
    // ASCII, Latin, punctuation, arrows, operators, box drawing and shapes: over 1,400 characters.
    assert.ok(answered > 1400, `answered for ${answered} characters`);
  });

  it('answers for the TUI’s own lines, coloured or not, as string-width does', () => {
    const lines = [
      '│ ▾ node-a ● 2 sessions',
      '│   ▸ project · ~/src/cortex',
      '│     ▶ fake <1m ✓',
      '── fake session in /tmp/x · turn 2 ⏎ ☐ ☑ ✗ … ←/→',
      `${SGR(32, '●')} connected · ${SGR(2, 'j/k move')} · ${SGR(36, '▶')}`,
      '\u001B[7m inverse ─────── \u001B[27m',
      '',
    ];
    for (const line of lines) {
      assert.notEqual(fastOnly(line), -1, line);
      assert.equal(shipped(line), realStringWidth(line), line);
    }
  });

  it('leaves wide, joined and zero-width text, other escapes and wide ambiguity to string-width', () => {
    const others = [
      '日本語',
      '▶\uFE0F',
      'e\u0301',
      '👍🏽',
      'a\u200Db',
      '\u00AD',
      '◽',
      '⌚',
      '\u001B]8;;x\u0007link\u001B]8;;\u0007',
    ];
    for (const text of others) {
      assert.equal(fastOnly(text), -1, text);
      assert.equal(shipped(text), realStringWidth(text), text);
    }
    const wide = { ambiguousIsNarrow: false };
    assert.equal(fastOnly('│ box', wide), -1);
    assert.equal(shipped('│ box', wide), realStringWidth('│ box', wide));
    assert.equal(fastOnly(SGR(31, 'x'), { countAnsiEscapeCodes: true }), -1);
  });
});

describe('the bundle’s one-column fast path in front of slice-ansi', () => {
  /** The fast path alone: '<asked>' wherever it would ask slice-ansi. */
  const fastOnly = tui.withOneColumnSlice(() => '<asked>');
  const shipped = tui.sliceAnsi;
  /** Every way of cutting `text`: each begin, each end from it to past the text, and no end. */
  const cuts = (text: string) =>
    Array.from({ length: text.length + 1 }, (_, begin) => [
      ...Array.from({ length: text.length + 3 - begin }, (__, span): [number, number?] => [begin, begin + span]),
      [begin] as [number, number?],
    ]).flat();

  it('is what Ink cuts with in the bundle, and cuts as slice-ansi does around every character', () => {
    assert.notEqual(shipped, realSliceAnsi);
    let answered = 0;
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const text = `ab${String.fromCharCode(code)}c`;
      if (fastOnly(text, 1, 3) !== '<asked>') answered++;
      for (const [begin, end] of [
        [0, 3],
        [2, 3],
        [1, 4],
        [3, undefined],
      ] as const) {
        assert.equal(shipped(text, begin, end), realSliceAnsi(text, begin, end), `${hex(code)} [${begin}, ${end})`);
      }
    }
    assert.ok(answered > 1400, `answered for ${answered} characters`);
  });

  it('answers for the TUI’s plain lines and titles, cut anywhere, as slice-ansi does', () => {
    const lines = [
      'No session selected: choose one in the tree, or press n to start one.',
      '│   ▸ project · ~/src/cortex ── ⏎ ✓ ✗ ←/→',
      '',
    ];
    for (const line of lines) {
      assert.notEqual(fastOnly(line, 0, 1), '<asked>', line);
      for (const [begin, end] of cuts(line)) {
        assert.equal(shipped(line, begin, end), realSliceAnsi(line, begin, end), `${line} [${begin}, ${end})`);
      }
    }
  });

  it('leaves coloured, wide, joined and zero-width text to slice-ansi', () => {
    const others = [SGR(32, '● connected'), '日本語', '▶\uFE0F x', 'e\u0301', '👍🏽 ok', 'a\u200Db', '\u00AD'];
    for (const text of others) {
      assert.equal(fastOnly(text, 0, 2), '<asked>', text);
      assert.equal(shipped(text, 0, 2), realSliceAnsi(text, 0, 2), text);
    }
  });
});

describe('the graphemes of one-column text without Intl.Segmenter, for Ink’s tokenizer', () => {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const real = (text: string) => Array.from(segmenter.segment(text), ({ segment, index }) => ({ segment, index }));

  it('finds what Intl.Segmenter finds, around every character it answers for, coloured or not', () => {
    let answered = 0;
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const character = String.fromCharCode(code);
      for (const text of [`a${character}b`, `${SGR(32, character)}${character}─`, `${character}${character}`]) {
        const fast = tui.oneColumnGraphemes(text);
        if (fast === undefined) continue;
        answered++;
        assert.deepEqual(fast, real(text), `${hex(code)} in ${JSON.stringify(text)}`);
      }
    }
    assert.ok(answered > 3 * 1400, `answered for ${answered} texts`);
  });

  it('leaves joined, wide and zero-width text, and escapes other than colours, to Intl.Segmenter', () => {
    for (const text of ['e\u0301', '👍🏽', 'a\u200Db', '日本', '\r\n', '\u001B]8;;x\u0007link\u001B]8;;\u0007']) {
      assert.equal(tui.oneColumnGraphemes(text), undefined, JSON.stringify(text));
    }
  });
});
