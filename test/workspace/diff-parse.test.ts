import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePatch, parseRawNumstat, unquote } from '../../daemon/workspace/diff-parse.js';

describe('parsing git diff output', () => {
  it('reads raw and numstat entries, renames and binary files included, whatever the file names', () => {
    const output = [
      ':100644 100644 aaa bbb M',
      'tab\there.txt',
      ':100644 100644 ccc ccc R100',
      'old name.txt',
      'new name.txt',
      ':000000 100644 000 ddd A',
      'image.png',
      '2\t1\ttab\there.txt',
      '0\t0\t',
      'old name.txt',
      'new name.txt',
      '-\t-\timage.png',
      '',
    ].join('\0');
    assert.deepEqual(
      parseRawNumstat(output).map((change) => [
        change.status,
        change.path,
        change.old_path,
        change.added,
        change.removed,
        change.binary,
      ]),
      [
        ['modified', 'tab\there.txt', null, 2, 1, false],
        ['renamed', 'new name.txt', 'old name.txt', 0, 0, false],
        ['added', 'image.png', null, 0, 0, true],
      ],
    );
  });

  it('cuts a patch into hunks by file, with quoted names, and drops a section cut short', () => {
    const patch = [
      'diff --git "a/tab\\there.txt" "b/tab\\there.txt"',
      'index aaa..bbb 100644',
      '--- "a/tab\\there.txt"',
      '+++ "b/tab\\there.txt"',
      '@@ -1,2 +1,2 @@ function f()',
      ' same',
      '-old',
      '+new',
      '\\ No newline at end of file',
      'diff --git a/caf\\303\\251.txt b/caf\\303\\251.txt',
      'new file mode 100644',
      '--- /dev/null',
      '+++ "b/caf\\303\\251.txt"',
      '@@ -0,0 +1 @@',
      '+x',
      'diff --git a/cut.txt b/cut.txt',
      '--- a/cut.txt',
      '+++ b/cut.txt',
      '@@ -1 +1 @@',
      '-a',
      '',
    ].join('\n');
    const hunks = parsePatch(patch, false);
    assert.deepEqual([...hunks.keys()], ['tab\there.txt', 'café.txt']);
    assert.deepEqual(hunks.get('tab\there.txt'), [
      {
        old_start: 1,
        old_lines: 2,
        new_start: 1,
        new_lines: 2,
        header: 'function f()',
        lines: [' same', '-old', '+new', '\\ No newline at end of file'],
      },
    ]);
    assert.deepEqual(hunks.get('café.txt')![0]!.lines, ['+x']);
    assert.equal(unquote('"a\\"b\\\\c"'), 'a"b\\c');
  });
});
