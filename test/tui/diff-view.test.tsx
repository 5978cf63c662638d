import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_USAGE, type Session, type Workspace } from '../../src/protocol/runtime-types.js';
import type { DiffHunk, WorkspaceDiff } from '../../src/protocol/workspace-types.js';
import type { CommentAnchor, DiffViewAction, DiffViewState } from '../../tui/tabs/diff/diff-view.js';
import { tui } from './helpers/shipped.js';

const {
  diffViewReducer,
  fileRow,
  findFile,
  INITIAL_VIEW,
  layoutDiff,
  lineRange,
  nextStart,
  positionAt,
  resolveRequest,
  reviewPrompt,
} = tui;

const hunk = (old_start: number, new_start: number, lines: string[]): DiffHunk => ({
  old_start,
  old_lines: lines.filter((line) => !line.startsWith('+')).length,
  new_start,
  new_lines: lines.filter((line) => !line.startsWith('-')).length,
  header: '',
  lines,
});

const DIFF: WorkspaceDiff = {
  workspace: 'ws_1',
  base: null,
  added: 3,
  removed: 2,
  truncated: false,
  files: [
    {
      path: 'src/a.ts',
      old_path: null,
      status: 'modified',
      added: 2,
      removed: 1,
      binary: false,
      hunks: [hunk(1, 1, [' keep', '-old', '+new']), hunk(40, 40, [' x', '+added\there'])],
    },
    { path: 'logo.png', old_path: null, status: 'added', added: 0, removed: 0, binary: true, hunks: [] },
    { path: 'b.ts', old_path: 'a.ts', status: 'renamed', added: 1, removed: 1, binary: false, hunks: [] },
  ],
};

const run = (actions: DiffViewAction[], state: DiffViewState = INITIAL_VIEW) => actions.reduce(diffViewReducer, state);

const anchor: CommentAnchor = {
  source: { key: 'turn:s_1:2', label: 'turn 2 of session s_1' },
  path: 'src/a.ts',
  hunk: DIFF.files[0]!.hunks[0]!,
};

describe('layoutDiff', () => {
  it('lays out file headers, hunks with numbered lines and notes for files without hunks', () => {
    const layout = layoutDiff(DIFF, 40, () => []);
    assert.deepEqual(
      layout.lines.map((line) => line.text),
      [
        '── M src/a.ts  +2 −1',
        '@@ -1,2 +1,2 @@',
        ' 1  keep',
        '   -old',
        ' 2 +new',
        '@@ -40,1 +40,2 @@',
        '40  x',
        '41 +added  here',
        '── A logo.png  +0 −0',
        '  binary file: no lines to show',
        '── R a.ts → b.ts  +1 −1',
        '  no line changes (mode or empty file)',
      ],
    );
    assert.deepEqual(layout.fileStarts, [0, 8, 10]);
    assert.deepEqual(
      layout.hunkStarts.map((start) => start.line),
      [1, 5],
    );
    assert.deepEqual(
      layout.lines.slice(1, 5).map((line) => line.color),
      ['cyan', undefined, 'red', 'green'],
    );
  });

  it('drops line numbers where they do not fit, and shows both sides where there is room', () => {
    assert.equal(layoutDiff(DIFF, 20, () => []).lines[2]!.text, ' keep');
    assert.equal(layoutDiff(DIFF, 80, () => []).lines[3]!.text, ' 2    -old');
  });

  it('a truncated diff says why a text file has no hunks', () => {
    const layout = layoutDiff({ ...DIFF, truncated: true }, 40, () => []);
    assert.equal(layout.lines[11]!.text, '  not shown: the diff was too large to send whole');
  });

  it('draws comments under their hunk and marks its @@ line', () => {
    const layout = layoutDiff(DIFF, 12, (_file, commented) => (commented.old_start === 40 ? ['look here please'] : []));
    assert.equal(layout.lines[5]!.text, '@@ -40,1 +40,2 @@ ✎1');
    assert.deepEqual(
      layout.lines.slice(8, 10).map((line) => [line.text, line.hunk]),
      [
        ['✎ look here ', 1],
        ['please', 1],
      ],
    );
  });

  it('finds the file and hunk at a line: a file header counts as its first hunk', () => {
    const layout = layoutDiff(DIFF, 40, () => []);
    assert.deepEqual(positionAt(layout, DIFF, 0), { file: 0, hunk: 0 });
    assert.deepEqual(positionAt(layout, DIFF, 6), { file: 0, hunk: 1 });
    assert.deepEqual(positionAt(layout, DIFF, 9), { file: 1, hunk: undefined });
    assert.equal(nextStart(layout.fileStarts, 0, 1), 8);
    assert.equal(nextStart(layout.fileStarts, 8, -1), 0);
    assert.equal(nextStart(layout.fileStarts, 10, 1), undefined);
  });

  it('cuts long paths in the file list from the left, keeping the counts', () => {
    const file = { ...DIFF.files[0]!, path: 'a/very/long/path/to/some/deeply/nested/file.ts' };
    const row = fileRow(file, 30, 2);
    assert.equal(row, 'M …ply/nested/file.ts +2 −1 ✎2');
    assert.equal(row.length, 30);
  });
});

describe('diff target and files', () => {
  const workspace: Workspace = { id: 'ws_1', node: 'n', path: '/w', project: 'p', created: 0 };
  const session: Session = {
    id: 's_1',
    workspace: 'ws_1',
    provider: 'fake',
    model: null,
    status: 'idle',
    resume_ref: null,
    created: 0,
    updated: 0,
    turns: 3,
    queued: 0,
    usage: EMPTY_USAGE,
    owner: 'me',
    approval: 'never',
    sandbox: null,
    pending_approvals: [],
  };

  it("follows the session's latest turn, else the workspace; an explicit target wins", () => {
    assert.deepEqual(resolveRequest(undefined, session, workspace), { kind: 'turn', session: 's_1', turn: 3 });
    assert.deepEqual(resolveRequest(undefined, { ...session, turns: 0 }, workspace), {
      kind: 'workspace',
      workspace: 'ws_1',
    });
    assert.deepEqual(resolveRequest({ kind: 'workspace' }, session, workspace), {
      kind: 'workspace',
      workspace: 'ws_1',
    });
    assert.deepEqual(resolveRequest({ kind: 'turn', session: 's_1', turn: 1, path: 'x' }, undefined, undefined), {
      kind: 'turn',
      session: 's_1',
      turn: 1,
    });
    assert.equal(resolveRequest(undefined, undefined, undefined), undefined);
  });

  it('finds a file by its path, its old path, ./path or an absolute path ending in it', () => {
    assert.equal(findFile(DIFF.files, 'logo.png'), 1);
    assert.equal(findFile(DIFF.files, './src/a.ts'), 0);
    assert.equal(findFile(DIFF.files, 'a.ts'), 2);
    assert.equal(findFile(DIFF.files, '/home/me/project/src/a.ts'), 0);
    assert.equal(findFile(DIFF.files, 'missing.ts'), undefined);
  });
});

describe('diffViewReducer', () => {
  it('scrolls within the diff, but keeps a jump past the last screenful', () => {
    assert.equal(run([{ type: 'scroll', by: 5, max: 3 }]).offset, 3);
    assert.equal(run([{ type: 'scroll', by: -2, max: 3 }]).offset, 0);
    assert.equal(
      run([
        { type: 'jump', line: 9 },
        { type: 'scroll', by: 1, max: 3 },
      ]).offset,
      9,
    );
    assert.equal(
      run([
        { type: 'jump', line: 9 },
        { type: 'scroll', by: -1, max: 3 },
      ]).offset,
      8,
    );
  });

  it('steps between starts from its own offset, so keys before a render each move', () => {
    const step = { type: 'step', starts: [1, 5, 8], direction: 1 } as const;
    assert.equal(run([step, step]).offset, 5);
    assert.equal(run([step, step, step, step]).offset, 8);
    assert.equal(
      run([
        { type: 'jump', line: 8 },
        { ...step, direction: -1 },
      ]).offset,
      5,
    );
  });

  it('show() resets the window and remembers the file to scroll to', () => {
    const state = run([
      { type: 'jump', line: 7 },
      { type: 'show', target: { kind: 'turn', session: 's_1', turn: 2, path: 'b.ts' } },
    ]);
    assert.equal(state.offset, 0);
    assert.equal(state.seek, 'b.ts');
    assert.equal(run([{ type: 'jump', line: 4 }], state).seek, undefined);
  });

  it('keeps a typed comment on one line, erases by character, and drops an empty one', () => {
    const typed = run([
      { type: 'comment-start', anchor },
      { type: 'comment-type', text: 'two\r\nlines\u0007 ' },
      { type: 'comment-type', text: 'é' },
      { type: 'comment-erase' },
    ]);
    assert.deepEqual(typed.mode.kind === 'comment' && typed.mode.draft, 'two lines ');
    const kept = run([{ type: 'comment-end', keep: true }], typed);
    assert.deepEqual(
      kept.comments.map((comment) => [comment.id, comment.text]),
      [[1, 'two lines']],
    );
    assert.equal(kept.mode.kind, 'read');
    const empty = run([
      { type: 'comment-start', anchor },
      { type: 'comment-type', text: '   ' },
      { type: 'comment-end', keep: true },
    ]);
    assert.equal(empty.comments.length, 0);
    const dropped = run([
      { type: 'comment-start', anchor },
      { type: 'comment-type', text: 'x' },
      { type: 'comment-end', keep: false },
    ]);
    assert.equal(dropped.comments.length, 0);
  });

  it("deletes a hunk's comments, and only that hunk's", () => {
    const other = { ...anchor, hunk: DIFF.files[0]!.hunks[1]! };
    const state = run([
      { type: 'comment-start', anchor },
      { type: 'comment-type', text: 'one' },
      { type: 'comment-end', keep: true },
      { type: 'comment-start', anchor: other },
      { type: 'comment-type', text: 'two' },
      { type: 'comment-end', keep: true },
      { type: 'uncomment', source: anchor.source.key, path: anchor.path, hunk: anchor.hunk },
    ]);
    assert.deepEqual(
      state.comments.map((comment) => comment.text),
      ['two'],
    );
  });

  it('forgets a turn of a session once another session is selected', () => {
    const shown = run([{ type: 'show', target: { kind: 'turn', session: 's_1', turn: 1 } }]);
    assert.equal(run([{ type: 'drop-turn-of-other-session', session: 's_1' }], shown), shown);
    assert.equal(run([{ type: 'drop-turn-of-other-session', session: 's_2' }], shown).target, undefined);
  });

  it('a revert question ends with cancel-confirm, which leaves other modes alone', () => {
    const asking = run([{ type: 'confirm', revert: { session: 's_1', turn: 1 } }]);
    assert.equal(run([{ type: 'cancel-confirm' }], asking).mode.kind, 'read');
    const typing = run([{ type: 'comment-start', anchor }]);
    assert.equal(run([{ type: 'cancel-confirm' }], typing), typing);
  });
});

describe('reviewPrompt', () => {
  const comment = (id: number, text: string, commented: DiffHunk) => ({ id, text, ...anchor, hunk: commented });

  it('is the message alone without comments', () => {
    assert.equal(reviewPrompt([], 'hello'), 'hello');
  });

  it('quotes each comment with its file, new-side lines and changed lines, then the message', () => {
    const prompt = reviewPrompt([comment(1, 'why?', DIFF.files[0]!.hunks[0]!)], 'go on');
    assert.equal(
      prompt,
      [
        'Review comments on the diff (1):',
        '',
        'src/a.ts, lines 1-2 (turn 2 of session s_1):',
        '```diff',
        '-old',
        '+new',
        '```',
        'why?',
        '',
        'go on',
      ].join('\n'),
    );
  });

  it('names a single line, a pure deletion, and cuts a long hunk short', () => {
    assert.equal(lineRange(hunk(3, 3, ['+one'])), 'line 3');
    assert.equal(lineRange(hunk(3, 2, ['-gone'])), 'after line 2');
    const long = hunk(
      1,
      1,
      Array.from({ length: 50 }, (_, index) => `+line ${index}`),
    );
    const prompt = reviewPrompt([comment(1, 'too long', long)], '');
    assert.match(prompt, /\+line 39\n… 10 more changed lines\n```\ntoo long$/);
  });
});
