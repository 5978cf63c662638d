import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { markdownFiles, markdownProblems } from '../helpers/markdown.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('the Markdown of the repository', () => {
  it('has no table with two header rows, and no link outside the repository or to nothing', () => {
    const files = markdownFiles(ROOT);
    for (const expected of ['README.md', 'SECURITY.md', 'bench/README.md', 'docs/design.md']) {
      assert.ok(files.includes(expected), `${expected} is checked`);
    }
    const problems = files.flatMap((file) => markdownProblems(readFileSync(join(ROOT, file), 'utf8'), file, ROOT));
    assert.deepEqual(problems, []);
  });

  it('catches a table printed twice, and links out of the repository', () => {
    const doubled = [
      '| key | meaning |',
      '| --- | ------- |',
      '| a   | one     |',
      '| key | meaning |',
      '| --- | ------- |',
      '| b   | two     |',
      '',
      'See [the design](../shared/DESIGN.md), [gone](docs/missing.md), [ok](docs/design.md),',
      '[web](https://example.com), [here](#usage) and `[code](../not/a/link.md)`.',
      '```',
      '| --- |',
      '| --- |',
      '```',
    ].join('\n');
    assert.deepEqual(markdownProblems(doubled, 'README.md', ROOT), [
      'README.md:5: a second header separator in one table',
      'README.md:8: ../shared/DESIGN.md leads outside the repository',
      'README.md:8: docs/missing.md names no file',
    ]);
    const twoTables = ['| a   |', '| --- |', '', '| b   |', '| --- |'].join('\n');
    assert.deepEqual(markdownProblems(twoTables, 'x.md', ROOT), []);
  });
});
