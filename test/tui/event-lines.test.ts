import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import type { Line } from '../../tui/state/event-lines.js';
import type { Scroll } from '../../tui/tabs/events/event-window.js';
import { command, event, message, messages } from './helpers/events.js';
import { tui } from './helpers/shipped.js';

const { eventLines, eventWindow, FOLLOW, mergeBySeq, wrapText } = tui;

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

describe('eventWindow', () => {
  /** A layout that counts its calls: the evidence of virtualisation, independent of time. */
  function counting(linesPerEvent = 1) {
    const calls = { count: 0 };
    const seen = new Set<number>();
    const layout = (input: SessionEvent): Line[] => {
      calls.count++;
      seen.add(input.seq);
      return Array.from({ length: linesPerEvent }, (_, index) => ({ text: `${input.seq}.${index}` }));
    };
    return { calls, seen, layout };
  }
  const at = (seq: number, up: number): Scroll => ({ follow: false, seq, up });

  it('follows the tail: the newest lines fill the window', () => {
    const { layout } = counting();
    const view = eventWindow(messages(100), layout, 5, FOLLOW);
    assert.deepEqual(texts(view.lines), ['96.0', '97.0', '98.0', '99.0', '100.0']);
    assert.equal(view.atTop, false);
    assert.equal(view.atBottom, true);
    assert.deepEqual(view.anchor, { seq: 100, up: 0 });
  });

  it('anchored at an event, ends `up` lines above its end, cutting events that straddle the edges', () => {
    const { layout } = counting(3);
    const view = eventWindow(messages(10), layout, 4, at(10, 5));
    // 30 lines; the window ends 5 lines above the end of event 10, inside event 9.
    assert.deepEqual(texts(view.lines), ['8.0', '8.1', '8.2', '9.0']);
    assert.deepEqual(view.anchor, { seq: 9, up: 2 }, 'normalised to the event of the bottom line');
    assert.equal(view.atBottom, false);
  });

  it('scrolls down past its anchor event into the newer ones, stopping at the newest line', () => {
    const { layout } = counting(2);
    const view = eventWindow(messages(10), layout, 3, at(5, -3));
    assert.deepEqual(texts(view.lines), ['6.0', '6.1', '7.0']);
    assert.deepEqual(view.anchor, { seq: 7, up: 1 });
    const past = eventWindow(messages(10), layout, 3, at(5, -100));
    assert.deepEqual(texts(past.lines), ['9.1', '10.0', '10.1']);
    assert.equal(past.atBottom, true);
  });

  it('stays put while newer events arrive', () => {
    const { layout } = counting();
    const before = eventWindow(messages(50), layout, 3, at(20, 0));
    const after = eventWindow(messages(80), layout, 3, at(20, 0));
    assert.deepEqual(texts(after.lines), texts(before.lines));
    assert.deepEqual(texts(after.lines), ['18.0', '19.0', '20.0']);
  });

  it('wherever it is in 100,000 events, lays out about a screenful', () => {
    const events = messages(100_000);
    for (const scroll of [FOLLOW, at(50_000, 0), at(3, 0), at(0, Number.MAX_SAFE_INTEGER / 2)]) {
      const counted = counting();
      eventWindow(events, counted.layout, 20, scroll);
      assert.ok(counted.seen.size <= 22, `${JSON.stringify(scroll)}: ${counted.seen.size} events laid out`);
    }
    // Tall events: fewer of them reach a window of the same height.
    const tall = counting(7);
    eventWindow(events, tall.layout, 20, FOLLOW);
    assert.equal(tall.seen.size, 3);
  });

  it('stops at the oldest line when scrolled past it, keeping the window full', () => {
    const { layout } = counting();
    const view = eventWindow(messages(30), layout, 8, at(0, Number.MAX_SAFE_INTEGER / 2));
    assert.deepEqual(texts(view.lines), ['1.0', '2.0', '3.0', '4.0', '5.0', '6.0', '7.0', '8.0']);
    assert.equal(view.atTop, true);
    assert.deepEqual(view.anchor, { seq: 8, up: 0 }, 'where it stopped, for scrolling back down');
  });

  it('names the event each visible line belongs to', () => {
    const events = messages(5);
    const view = eventWindow(events, (event) => [{ text: `${event.seq}a` }, { text: `${event.seq}b` }], 3, at(5, 1));
    assert.deepEqual(texts(view.lines), ['4a', '4b', '5a']);
    assert.deepEqual(
      view.owners.map((event) => event.seq),
      [4, 4, 5],
    );
  });

  it('shows a short session whole wherever it is anchored', () => {
    const { layout } = counting();
    for (const scroll of [FOLLOW, at(3, 1), at(1, 50), at(2, -5)]) {
      const view = eventWindow(messages(3), layout, 8, scroll);
      assert.deepEqual(texts(view.lines), ['1.0', '2.0', '3.0']);
      assert.equal(view.atTop, true);
      assert.equal(view.atBottom, true, JSON.stringify(scroll));
    }
    assert.deepEqual(eventWindow([], layout, 8, FOLLOW), {
      lines: [],
      owners: [],
      atTop: true,
      atBottom: true,
      anchor: undefined,
    });
  });

  it('skips events that lay out to nothing, and is at the bottom above trailing ones', () => {
    const events = [
      message(1, 'one'),
      event(2, 'stderr', { text: 'x' }),
      message(3, 'three'),
      event(4, 'stderr', { text: 'y' }),
    ];
    const view = eventWindow(events, (input) => eventLines(input, 20, false), 2, FOLLOW);
    assert.deepEqual(texts(view.lines), ['one', 'three']);
    assert.equal(view.atBottom, true);
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
