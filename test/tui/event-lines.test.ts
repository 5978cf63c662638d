import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { mergeBySeq } from '../../tui/hooks/use-session-events.js';
import { eventLines, type Line, visibleLines, wrapText } from '../../tui/state/event-lines.js';
import { command, event, message, messages } from './helpers/events.js';

const texts = (lines: Line[]) => lines.map((line) => line.text);
const USAGE = { input_tokens: 12, cached_input_tokens: 0, output_tokens: 34, reasoning_output_tokens: 0 };

describe('eventLines', () => {
  it('wraps agent messages at the width, keeping their line breaks', () => {
    assert.deepEqual(texts(eventLines(message(1, 'abcdefghij' + 'klmno\n\nxyz'), 10, false)), [
      'abcdefghij',
      'klmno',
      '',
      'xyz',
    ]);
  });

  it('collapses a command to its first three output lines until expanded', () => {
    const [, completed] = command(1, 'ls', 'a\nb\nc\nd\ne\n');
    const collapsed = eventLines(completed, 40, false);
    assert.deepEqual(texts(collapsed), ['$ ls  [exit 0]', '  a', '  b', '  c', '  … 2 more lines (o shows all)']);
    assert.equal(collapsed[0]!.color, 'green');
    assert.deepEqual(texts(eventLines(completed, 40, true)), ['$ ls  [exit 0]', '  a', '  b', '  c', '  d', '  e']);
    // Short output has nothing to expand.
    assert.deepEqual(texts(eventLines(command(1, 'true', 'ok\n')[1], 40, false)), ['$ true  [exit 0]', '  ok']);
    assert.deepEqual(texts(eventLines(command(1, 'true', '')[1], 40, false)), ['$ true  [exit 0]']);
  });

  it('shows a failing command in red and a running one as started', () => {
    const [started, failed] = command(1, 'false', '', 1);
    assert.deepEqual(eventLines(failed, 40, false), [{ text: '$ false  [exit 1]', color: 'red' }]);
    assert.deepEqual(eventLines(started, 40, false), [{ text: '$ false  …', color: 'yellow' }]);
  });

  it('draws each kind of event, and hides the ones with nothing to show', () => {
    const cases: [SessionEvent, string[]][] = [
      [
        event(1, 'session_started', { provider: 'fake', workspace: 'ws_1', path: '/src/app', model: null }, 0),
        ['── fake session in /src/app'],
      ],
      [event(2, 'turn_started', { prompt: 'fix it', resumed: true }, 2), ['── turn 2 (resumed) ──', '> fix it']],
      [event(3, 'turn_queued', { prompt: 'then this', position: 1 }), ['… queued #1: then this']],
      [event(4, 'reasoning', { item_id: 'r', text: 'thinking' }), ['thinking']],
      [
        event(5, 'file_change', {
          item_id: 'f',
          phase: 'completed',
          changes: [
            { path: 'a.ts', kind: 'add' },
            { path: 'b.ts', kind: 'update' },
          ],
          status: 'completed',
        }),
        ['add    a.ts', 'update b.ts'],
      ],
      [
        event(6, 'file_change', { item_id: 'f', phase: 'started', changes: [{ path: 'a', kind: 'add' }], status: '' }),
        [],
      ],
      [
        event(7, 'todo_list', {
          item_id: 't',
          phase: 'updated',
          items: [
            { text: 'read', completed: true },
            { text: 'write', completed: false },
          ],
        }),
        ['☑ read', '☐ write'],
      ],
      [
        event(8, 'mcp_tool_call', { item_id: 'm', phase: 'completed', server: 'fs', tool: 'read', status: 'ok' }),
        ['tool fs.read ok'],
      ],
      [event(9, 'mcp_tool_call', { item_id: 'm', phase: 'started', server: 'fs', tool: 'read', status: '' }), []],
      [event(10, 'web_search', { item_id: 'w', phase: 'completed', query: 'ink' }), ['search ink']],
      [event(11, 'error', { message: 'boom' }), ['error: boom']],
      [event(12, 'notice', { message: 'heads up' }), ['notice: heads up']],
      [event(13, 'stderr', { text: 'noise' }), []],
      [event(14, 'turn_completed', { usage: USAGE }), ['── turn 1 done · 12 in · 34 out ──']],
      [event(15, 'turn_failed', { error: 'no model' }), ['── turn 1 failed: no model']],
      [event(16, 'turn_interrupted', { reason: 'user' }), ['── turn 1 interrupted: user']],
      [event(17, 'session_stopped', { reason: 'stopped by root' }), ['── session stopped: stopped by root']],
      [event(18, 'raw', { provider_type: 'odd.thing', data: null }), ['(odd.thing)']],
    ];
    for (const [input, expected] of cases) assert.deepEqual(texts(eventLines(input, 60, false)), expected, input.type);
    assert.equal(eventLines(event(11, 'error', { message: 'boom' }), 60, false)[0]!.color, 'red');
  });
});

describe('wrapText', () => {
  it('cuts long lines at the width and never loops on a zero width', () => {
    assert.deepEqual(wrapText('abcdefg', 3), ['abc', 'def', 'g']);
    assert.deepEqual(wrapText('abc', 3), ['abc']);
    assert.deepEqual(wrapText('', 3), ['']);
    assert.deepEqual(wrapText('ab', 0), ['a', 'b']);
  });
});

describe('visibleLines', () => {
  /** A layout that counts its calls: the evidence of virtualisation, independent of time. */
  function counting(linesPerEvent = 1) {
    const calls = { count: 0 };
    const layout = (input: SessionEvent): Line[] => {
      calls.count++;
      return Array.from({ length: linesPerEvent }, (_, index) => ({ text: `${input.seq}.${index}` }));
    };
    return { calls, layout };
  }

  it('follows the tail: the newest lines fill the window', () => {
    const { layout } = counting();
    const view = visibleLines(messages(100), layout, 5, 0);
    assert.deepEqual(texts(view.lines), ['96.0', '97.0', '98.0', '99.0', '100.0']);
    assert.equal(view.atTop, false);
    assert.equal(view.offset, 0);
  });

  it('scrolled up, ends `offset` lines above the newest, cutting events that straddle the edges', () => {
    const { layout } = counting(3);
    const view = visibleLines(messages(10), layout, 4, 5);
    // 30 lines; the window is lines 21..24 (0-based): 8.0 ends at 21.
    assert.deepEqual(texts(view.lines), ['8.0', '8.1', '8.2', '9.0']);
    assert.equal(view.offset, 5);
  });

  it('with 100,000 events lays out only the events that reach the window', () => {
    const events = messages(100_000);
    const tail = counting();
    visibleLines(events, tail.layout, 20, 0);
    assert.equal(tail.calls.count, 20);
    const scrolled = counting();
    const view = visibleLines(events, scrolled.layout, 20, 1_000);
    assert.equal(scrolled.calls.count, 1_020);
    assert.deepEqual(texts(view.lines).slice(0, 2), ['98981.0', '98982.0']);
    // Tall events: fewer of them reach a window of the same height.
    const tall = counting(7);
    visibleLines(events, tall.layout, 20, 0);
    assert.equal(tall.calls.count, 3);
  });

  it('stops at the oldest line when scrolled past it, keeping the window full', () => {
    const { layout } = counting();
    const view = visibleLines(messages(30), layout, 8, Number.MAX_SAFE_INTEGER / 2);
    assert.deepEqual(texts(view.lines), ['1.0', '2.0', '3.0', '4.0', '5.0', '6.0', '7.0', '8.0']);
    assert.equal(view.atTop, true);
    assert.equal(view.offset, 22, 'the offset actually shown, for scrolling back down');
  });

  it('names the event each visible line belongs to', () => {
    const events = messages(5);
    const view = visibleLines(events, (event) => [{ text: `${event.seq}a` }, { text: `${event.seq}b` }], 3, 1);
    assert.deepEqual(texts(view.lines), ['4a', '4b', '5a']);
    assert.deepEqual(
      view.owners.map((event) => event.seq),
      [4, 4, 5],
    );
  });

  it('shows a short session whole whatever the offset', () => {
    const { layout } = counting();
    for (const offset of [0, 1, 50]) {
      const view = visibleLines(messages(3), layout, 8, offset);
      assert.deepEqual(texts(view.lines), ['1.0', '2.0', '3.0']);
      assert.equal(view.atTop, true);
      assert.equal(view.offset, 0);
    }
    assert.deepEqual(visibleLines([], layout, 8, 0), { lines: [], owners: [], atTop: true, totalAbove: 0, offset: 0 });
  });

  it('skips events that lay out to nothing', () => {
    const events = [message(1, 'one'), event(2, 'stderr', { text: 'x' }), message(3, 'three')];
    const view = visibleLines(events, (input) => eventLines(input, 20, false), 2, 0);
    assert.deepEqual(texts(view.lines), ['one', 'three']);
  });
});

describe('mergeBySeq', () => {
  it('appends live events and prepends older pages without sorting', () => {
    const older = messages(3, 1);
    const newer = messages(3, 4);
    assert.deepEqual(
      mergeBySeq(older, newer).map((item) => item.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      mergeBySeq(newer, older).map((item) => item.seq),
      [1, 2, 3, 4, 5, 6],
    );
  });

  it('keeps each seq once when a page and live events overlap, the second run winning', () => {
    const page = messages(5, 1);
    const live = [message(4, 'live 4'), message(5, 'live 5'), message(6, 'live 6')];
    const merged = mergeBySeq(page, live);
    assert.deepEqual(
      merged.map((item) => item.seq),
      [1, 2, 3, 4, 5, 6],
    );
    const fourth = merged[3]!;
    assert.equal(fourth.type === 'agent_message' && fourth.payload.text, 'live 4');
    const interleaved = mergeBySeq([message(1, 'a'), message(3, 'c')], [message(2, 'b'), message(4, 'd')]);
    assert.deepEqual(
      interleaved.map((item) => item.seq),
      [1, 2, 3, 4],
    );
  });

  it('returns the other run as it is when one is empty', () => {
    const run = messages(2);
    assert.equal(mergeBySeq([], run), run);
    assert.equal(mergeBySeq(run, []), run);
  });
});
