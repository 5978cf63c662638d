import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReactElement } from 'react';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import type { EventsShown } from '../../tui/tabs/events/EventsPane.js';
import { command, message, messages, session } from './helpers/events.js';
import { drawnLines, renderWatched } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';

const { BINDINGS, EventsPane, FOLLOW, FormView, HelpScreen, helpLines, helpMaxOffset, StatusBar } = tui;

/** Draws `element` once on a terminal tall enough for it, and returns the lines drawn. */
async function frameOf(element: ReactElement, size = { columns: 100, rows: 130 }): Promise<string[]> {
  const instance = renderWatched(element, size);
  try {
    await instance.waitFor((frame) => frame.trim() !== '', 'the frame');
    return drawnLines(instance.frame());
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

  it('follows the tail under a title naming the session', async () => {
    const frame = await frameOf(pane(messages(50)));
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

  it('wraps long messages at the pane width', async () => {
    const frame = await frameOf(pane([message(1, 'You said: a message longer than the pane is wide!')]));
    assert.deepEqual(inside(frame).slice(1, 4), ['You said: a message long', 'er than the pane is wide', '!']);
  });

  it('shows a scrolled window and says how to follow again', async () => {
    const frame = inside(await frameOf(pane(messages(50), { scroll: { follow: false, seq: 50, up: 10 }, width: 60 })));
    assert.match(frame[0]!, /scrolled \(G follows\)/);
    assert.deepEqual(frame.slice(1), ['message 36', 'message 37', 'message 38', 'message 39', 'message 40']);
  });

  it('shows a finished command once, collapsed, and all its output when expanded (o)', async () => {
    const events = [...command(1, 'make', 'one\ntwo\nthree\nfour\nfive\n'), message(3, 'done')];
    const collapsed = inside(await frameOf(pane(events, { width: 40, height: 8 })));
    assert.deepEqual(collapsed.slice(1, 7), [
      '$ make  [exit 0]',
      '  one',
      '  two',
      '  three',
      '  … 2 more lines (o shows all)',
      'done',
    ]);
    const expanded = inside(await frameOf(pane(events, { width: 40, height: 8, expanded: true })));
    assert.deepEqual(expanded.slice(1), ['$ make  [exit 0]', '  one', '  two', '  three', '  four', '  five', 'done']);
    // Still running: the started event stands for it.
    const running = inside(await frameOf(pane([command(1, 'make', '')[0]], { width: 40 })));
    assert.deepEqual(running.slice(1, 2), ['$ make  …']);
  });

  it('at the oldest loaded event says older ones load, without drawing over the title', async () => {
    const shown: EventsShown[] = [];
    const frame = await frameOf(
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

  it('scrolled up on a session shorter than the pane, shows it whole and does not claim to be scrolled', async () => {
    const shown: EventsShown[] = [];
    const frame = inside(
      await frameOf(
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

  it('with no session says how to get one', async () => {
    const frame = inside(await frameOf(pane([], { session: undefined, width: 80 })));
    assert.equal(frame[0], 'No session selected: choose one in the tree, or press n to start one.');
  });

  it('with 100,000 events lays out only what reaches the screen, and a new event costs one more', async () => {
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
    const instance = renderWatched(pane(events, { height: 20, width: 40 }));
    try {
      await instance.waitFor((text) => text.includes('message 100000'), 'the newest message');
      const frame = inside(drawnLines(instance.frame()));
      assert.deepEqual(frame.slice(-2), ['message 99999', 'message 100000']);
      assert.ok(reads <= 40, `laid out ${reads} payloads for a 19-line window`);
      const before = reads;
      const more = [...events, counted(message(100_001, 'live one'))];
      instance.rerender(pane(more, { height: 20, width: 40 }));
      await instance.waitFor((text) => text.includes('live one'), 'the live event');
      assert.equal(inside(drawnLines(instance.frame())).at(-1), 'live one');
      assert.ok(reads - before <= 2, `a live event laid out ${reads - before} payloads (the rest are cached)`);
    } finally {
      instance.unmount();
    }
  });
});

describe('StatusBar', () => {
  const bar = async (props: Partial<Parameters<typeof StatusBar>[0]> = {}) =>
    (
      await frameOf(
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
      )
    )[0];

  it('shows the connection, the node, the identity and the hints', async () => {
    assert.equal(await bar(), '● connected laptop · root · q quit');
  });

  it('says it is connecting, and why the last attempt failed', async () => {
    assert.equal(
      await bar({ state: 'connecting', node: undefined, identity: undefined }),
      '○ connecting ? · ? · q quit',
    );
    assert.equal(
      await bar({ state: 'connecting', error: 'no daemon' }),
      '○ connecting (no daemon) laptop · root · q quit',
    );
  });

  it('counts down to the next attempt while reconnecting', async () => {
    assert.equal(
      await bar({ state: 'reconnecting', retryInMs: 1500, error: 'closed' }),
      '◌ reconnecting in 2s (closed) laptop · root · q quit',
    );
  });

  it('cuts the hints at the edge as Ink cut the whole line, and leaves them whole when they fit', async () => {
    const hints = 'j/k move · Enter open · n session · ? help · q quit';
    assert.equal(await bar({ hints, width: 60 }), '● connected laptop · root · j/k move · Enter open · n sessi…');
    assert.equal(await bar({ hints, width: 100 }), `● connected laptop · root · ${hints}`);
    assert.equal(await bar({ hints, width: 29 }), '● connected laptop · root · …');
  });

  it('stays on one line as wide as the terminal', async () => {
    const frame = await frameOf(
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
  it('lists every binding of the key table: the help cannot disagree with the keys', async () => {
    const frame = (await frameOf(<HelpScreen width={100} height={200} />, { columns: 100, rows: 210 })).join('\n');
    for (const binding of BINDINGS) {
      assert.ok(frame.includes(`${binding.keys.join(', ')}`), `keys ${binding.keys.join(', ')}`);
      assert.ok(frame.replace(/\s+/g, ' ').includes(binding.description), binding.description);
    }
    assert.equal(helpMaxOffset(100, 200), 0);
    assert.doesNotMatch(frame, /j\/k scroll/);
  });

  it('at 80×24 takes the whole screen and scrolls, every line whole, until every binding has been shown', async () => {
    // The pane beside the tree is 56 columns at 80: too narrow, descriptions were cut. The help
    // takes the whole screen but the status bar, wraps what is still too long, and scrolls.
    const [width, height] = [80, 23];
    const max = helpMaxOffset(width, height);
    assert.ok(max > 0);
    // Each line by its place in the help, as the windows at every offset show it.
    const seen: string[] = [];
    for (let offset = 0; offset <= max + 2; offset++) {
      const frame = await frameOf(<HelpScreen width={width} height={height} offset={offset} />);
      assert.equal(frame.length, height, `offset ${offset}: the box keeps its height`);
      const body = inside(frame).map((line) => line.slice(1).trimEnd());
      assert.equal(body[0], 'Cortex keys');
      assert.match(body.at(-1)!, new RegExp(`^j/k scroll · ${Math.min(offset, max) + 1}–`));
      body.slice(1, -1).forEach((line, index) => (seen[Math.min(offset, max) + index] = line));
    }
    assert.ok(
      seen.every((line) => !line.endsWith('…')),
      'no line cut',
    );
    assert.deepEqual(
      seen,
      helpLines(width).map((line) => line.text.trimEnd()),
    );
    const text = seen.join(' ').replace(/\s+/g, ' ');
    for (const binding of BINDINGS) assert.ok(text.includes(binding.description), binding.description);
  });
});

describe('FormView', () => {
  it('shows the fields, the choice being cycled, the active field marked (without colour too), and the error', async () => {
    const frame = await frameOf(
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
      inside(frame).map((line) => line.trimEnd()),
      [
        ' New session in /src',
        '   provider  ‹ fake ›',
        ' › prompt    hello',
        ' Enter submits · Tab moves · ←/→ change a choice · Esc cancels',
        ' Select a workspace first.',
      ],
    );
  });
});
