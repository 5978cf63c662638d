import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { tui } from './helpers/shipped.js';

const { BINDINGS, KEY_TABLE_END, KEY_TABLE_START, renderKeyTable } = tui;

/** From dist/test/tui/ up to the package root. */
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

describe("README's key map", () => {
  it('is the table generated from the key table (npm run docs regenerates it)', async () => {
    const readme = readFileSync(README, 'utf8');
    const start = readme.indexOf(KEY_TABLE_START);
    const end = readme.indexOf(KEY_TABLE_END);
    assert.ok(start >= 0 && end > start, 'README.md has the key table markers');
    const shown = readme.slice(start, end + KEY_TABLE_END.length);
    // Laid out as prettier (which lints every file) aligns Markdown tables.
    const expected = (await format(renderKeyTable(), { ...(await resolveConfig(README)), filepath: README })).trimEnd();
    assert.equal(shown, expected, 'README.md is out of date with tui/keymap.ts: run npm run docs');
  });

  it('has a row for every binding', () => {
    const rows = renderKeyTable()
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| keys') && !line.startsWith('| ---'));
    assert.equal(rows.length, BINDINGS.length);
  });
});
