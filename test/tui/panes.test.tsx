import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { ChatPane } from '../../tui/components/ChatPane.js';
import { EventsPane, type EventsShown } from '../../tui/components/EventsPane.js';
import { FormView } from '../../tui/components/FormView.js';
import { HelpScreen, helpLines, helpMaxOffset } from '../../tui/components/HelpScreen.js';
import { StatusBar } from '../../tui/components/StatusBar.js';
import { BINDINGS } from '../../tui/keymap.js';
import { FOLLOW } from '../../tui/state/event-window.js';
import { command, message, messages, session } from './helpers/events.js';
import { lines } from './helpers/frames.js';

/** Renders once and returns the frame's lines. */
function frameOf(element: ReactElement): string[] {
  const instance = render(element);
  try {
    return lines(instance.lastFrame() ?? '');
  } finally {
    instance.unmount();
  }
}

/** The text inside a bordered box: the lines between the borders, without the side borders. */
function inside(frame: string[]): string[] {
  return frame.slice(1, -1).map((line) => line.slice(1, -1).trimEnd());
}

const SESSION = session({ id: 's_abc', status: 'running', turns: 3 });

describe('EventsPane', () => {
  const pane = (events: SessionEvent[], props: Partial<Parameters<typeof EventsPane>[0]> = {}) => (
    <EventsPane
      session={SESSION}
      events={events}
      scroll={FOLLOW}
      expanded={false}
      focused
      width={26}
      height={6}
      hasOlder={false}
      hasNewer={false}
      {...props}
    />
  );

  it('follows the tail under a title naming the session', () => {
    const frame = frameOf(pane(messages(50)));
    assert.equal(frame.length, 8, 'height + 2 border lines, not one more');
    assert.deepEqual(inside(frame), [
      's_abc · fake · running …',
      'message 46',
      'message 47',
      'message 48',
      'message 49',
      'message 50',
    ]);
  });

  it('wraps long messages at the pane width', () => {
    const frame = frameOf(pane([message(1, 'You said: a message longer than the pane is wide!')]));
    assert.deepEqual(inside(frame).slice(1, 4), ['You said: a message long', 'er than the pane is wide', '!']);
  });

  it('shows a scrolled window and says how to follow again', () => {
    const frame = inside(frameOf(pane(messages(50), { scroll: { follow: false, seq: 50, up: 10 }, width: 60 })));
    assert.match(frame[0]!, /scrolled \(G follows\)/);
    assert.deepEqual(frame.slice(1), ['message 36', 'message 37', 'message 38', 'message 39', 'message 40']);
  });

  it('shows a finished command once, collapsed, and all its output when expanded (o)', () => {
    const events = [...command(1, 'make', 'one\ntwo\nthree\nfour\nfive\n'), message(3, 'done')];
    const collapsed = inside(frameOf(pane(events, { width: 40, height: 8 })));
    assert.deepEqual(collapsed.slice(1, 7), [
      '$ make  [exit 0]',
      '  one',
      '  two',
      '  three',
      '  … 2 more lines (o shows all)',
      'done',
    ]);
    const expanded = inside(frameOf(pane(events, { width: 40, height: 8, expanded: true })));
    assert.deepEqual(expanded.slice(1), ['$ make  [exit 0]', '  one', '  two', '  three', '  four', '  five', 'done']);
    // Still running: the started event stands for it.
    const running = inside(frameOf(pane([command(1, 'make', '')[0]], { width: 40 })));
    assert.deepEqual(running.slice(1, 2), ['$ make  …']);
  });

  it('at the oldest loaded event says older ones load, without drawing over the title', () => {
    const shown: EventsShown[] = [];
    const frame = frameOf(
      pane(messages(30, 101), {
        scroll: { follow: false, seq: 0, up: Number.MAX_SAFE_INTEGER / 2 },
        hasOlder: true,
        width: 40,
        onShown: (what) => shown.push(what),
      }),
    );
    assert.equal(frame.length, 8);
    assert.deepEqual(inside(frame), [
      's_abc · fake · running · turn 3 · scr…',
      '… older events load as you scroll',
      'message 101',
      'message 102',
      'message 103',
      'message 104',
    ]);
    // The pane tells the app where it stopped, so the next j scrolls down at once, and that it is at the top.
    assert.deepEqual(
      shown.map(({ anchor, atTop, atBottom }) => ({ anchor, atTop, atBottom })),
      [{ anchor: { seq: 105, up: 0 }, atTop: true, atBottom: false }],
    );
  });

  it('scrolled up on a session shorter than the pane, shows it whole and does not claim to be scrolled', () => {
    const shown: EventsShown[] = [];
    const frame = inside(
      frameOf(
        pane(messages(3), {
          scroll: { follow: false, seq: 3, up: 2 },
          width: 60,
          onShown: (what) => shown.push(what),
        }),
      ),
    );
    assert.deepEqual(frame, ['s_abc · fake · running · turn 3', 'message 1', 'message 2', 'message 3', '', '']);
    assert.equal(shown.at(-1)?.atBottom, true, 'so the app follows the tail again');
  });

  it('with no session says how to get one', () => {
    const frame = inside(frameOf(pane([], { session: undefined, width: 80 })));
    assert.equal(frame[0], 'No session selected: choose one in the tree, or press n to start one.');
  });

  it('with 100,000 events lays out only what reaches the screen, and a new event costs one more', () => {
    // Evidence that does not depend on time: every event counts the reads of its payload,
    // which only laying it out (or checking a command) does.
    let reads = 0;
    const counted = (input: SessionEvent): SessionEvent => {
      const { payload, ...rest } = input;
      return Object.defineProperty({ ...rest }, 'payload', {
        enumerable: true,
        get: () => {
          reads++;
          return payload;
        },
      }) as SessionEvent;
    };
    const events = messages(100_000).map(counted);
    const instance = render(pane(events, { height: 20, width: 40 }));
    try {
      const frame = inside(lines(instance.lastFrame()!));
      assert.deepEqual(frame.slice(-2), ['message 99999', 'message 100000']);
      assert.ok(reads <= 40, `laid out ${reads} payloads for a 19-line window`);
      const before = reads;
      const more = [...events, counted(message(100_001, 'live one'))];
      instance.rerender(pane(more, { height: 20, width: 40 }));
      assert.equal(inside(lines(instance.lastFrame()!)).at(-1), 'live one');
      assert.ok(reads - before <= 2, `a live event laid out ${reads - before} payloads (the rest are cached)`);
    } finally {
      instance.unmount();
    }
  });
});

describe('ChatPane', () => {
  const chat = (props: Partial<Parameters<typeof ChatPane>[0]> = {}) => (
    <ChatPane session={SESSION} draft="" focused width={50} height={8} notice={undefined} {...props} />
  );

  it('names the session it talks to, with its state and queue', () => {
    const frame = inside(frameOf(chat({ session: session({ id: 's_abc', status: 'running', queued: 2 }) })));
    assert.equal(frame[0], 'Message s_abc (running, 2 queued)');
    assert.equal(frame[1], 'Enter sends · Ctrl-J new line · Ctrl-C interrup…');
    assert.equal(frame[2], '>');
  });

  it('shows the draft over several lines and the notice of the last send', () => {
    const frame = inside(frameOf(chat({ draft: 'first\nsecond', notice: 'turn 4 started' })));
    assert.deepEqual(frame.slice(2, 5), ['> first', '  second', 'turn 4 started']);
  });

  it('keeps the newest lines of a draft taller than the pane', () => {
    const draft = Array.from({ length: 12 }, (_, index) => `line ${index + 1}`).join('\n');
    const frame = inside(frameOf(chat({ draft })));
    assert.equal(frame.length, 8);
    assert.deepEqual(frame.slice(2).filter(Boolean), ['> line 8', '  line 9', '  line 10', '  line 11', '  line 12']);
  });

  it('without a session asks for one', () => {
    assert.equal(inside(frameOf(chat({ session: undefined })))[0], 'Select a session to chat with.');
  });
});

describe('StatusBar', () => {
  const bar = (props: Partial<Parameters<typeof StatusBar>[0]> = {}) =>
    frameOf(
      <StatusBar
        state="open"
        retryInMs={0}
        error={undefined}
        node="laptop"
        identity="root"
        hints="q quit"
        width={70}
        {...props}
      />,
    )[0];

  it('shows the connection, the node, the identity and the hints', () => {
    assert.equal(bar(), '● connected laptop · root · q quit');
  });

  it('says it is connecting, and why the last attempt failed', () => {
    assert.equal(bar({ state: 'connecting', node: undefined, identity: undefined }), '○ connecting ? · ? · q quit');
    assert.equal(bar({ state: 'connecting', error: 'no daemon' }), '○ connecting (no daemon) laptop · root · q quit');
  });

  it('counts down to the next attempt while reconnecting', () => {
    assert.equal(
      bar({ state: 'reconnecting', retryInMs: 1500, error: 'closed' }),
      '◌ reconnecting in 2s (closed) laptop · root · q quit',
    );
  });

  it('stays on one line as wide as the terminal', () => {
    const frame = frameOf(
      <StatusBar
        state="open"
        retryInMs={0}
        error={undefined}
        node="n"
        identity="i"
        hints={'x'.repeat(200)}
        width={40}
      />,
    );
    assert.equal(frame.length, 1);
    assert.ok(frame[0]!.length <= 40);
  });
});

describe('HelpScreen', () => {
  it('lists every binding of the key table: the help cannot disagree with the keys', () => {
    const frame = frameOf(<HelpScreen width={100} height={120} />).join('\n');
    for (const binding of BINDINGS) {
      assert.ok(frame.includes(`${binding.keys.join(', ')}`), `keys ${binding.keys.join(', ')}`);
      assert.ok(frame.includes(binding.description), binding.description);
    }
    assert.equal(helpMaxOffset(120), 0);
    assert.doesNotMatch(frame, /j\/k scroll/);
  });

  it('at 80×24 scrolls, every line whole, until every binding has been shown', () => {
    // In an 80×24 terminal the help gets a 48×22 box: too short for the table. Drawn whole it
    // used to squeeze lines onto each other and lose half the keys; now it scrolls.
    const height = 22;
    const max = helpMaxOffset(height);
    assert.ok(max > 0);
    const seen = new Set<string>();
    for (let offset = 0; offset <= max + 2; offset++) {
      const frame = frameOf(<HelpScreen width={48} height={height} offset={offset} />);
      assert.equal(frame.length, height, `offset ${offset}: the box keeps its height`);
      const body = inside(frame).map((line) => line.slice(1).trimEnd());
      assert.equal(body[0], 'Cortex keys');
      assert.match(body.at(-1)!, new RegExp(`^j/k scroll · ${Math.min(offset, max) + 1}–`));
      for (const line of body.slice(1, -1)) seen.add(line);
    }
    const expected = helpLines().map((line) => line.text.slice(0, 44).trimEnd());
    for (const line of expected) {
      assert.ok(
        [...seen].some((shown) => shown === line || (shown.endsWith('…') && line.startsWith(shown.slice(0, -1)))),
        `never shown: ${line}`,
      );
    }
    for (const binding of BINDINGS) {
      assert.ok(
        [...seen].some((shown) => shown.startsWith(`  ${binding.keys.join(', ')} `)),
        binding.keys.join(),
      );
    }
  });
});

describe('FormView', () => {
  it('shows the fields, the choice being cycled, the active cursor and the error', () => {
    const frame = frameOf(
      <FormView
        title="New session in /src"
        fields={[
          { label: 'provider', value: 'fake', choices: ['codex', 'fake'] },
          { label: 'prompt', value: 'hello' },
        ]}
        active={1}
        error="Select a workspace first."
        width={70}
      />,
    );
    assert.deepEqual(
      inside(frame).map((line) => line.trim()),
      [
        'New session in /src',
        'provider  ‹ fake ›',
        'prompt    hello',
        'Enter submits · Tab moves · ←/→ change a choice · Esc cancels',
        'Select a workspace first.',
      ],
    );
  });
});
