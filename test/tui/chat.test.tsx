import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReactElement } from 'react';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { command, event, message, session } from './helpers/events.js';
import { drawnLines, renderWatched } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';

const { ChatPane, chatLines, conversation, FOLLOW, markdownLines, pendingRequests } = tui;

async function frameOf(element: ReactElement): Promise<string[]> {
  const instance = renderWatched(element, { columns: 100, rows: 60 });
  try {
    await instance.waitFor((frame) => frame.trim() !== '', 'the frame');
    return drawnLines(instance.frame())
      .slice(1, -1)
      .map((line) => line.slice(1, -1).trimEnd());
  } finally {
    instance.unmount();
  }
}

/** A fresh cache of streamed replies. */
const noStreams = () => new Map<string, SessionEvent<'agent_message'>>();
const texts = (lines: { text: string }[]) => lines.map((line) => line.text);
const delta = (seq: number, item: string, text: string) => event(seq, 'agent_message_delta', { item_id: item, text });
const asked = (seq: number, request: string, line: string) =>
  event(seq, 'approval_requested', {
    request,
    kind: 'command',
    item_id: `cmd_${seq}`,
    cwd: '/w',
    command: line,
    changes: [],
    reason: null,
  });
const answered = (seq: number, request: string) =>
  event(seq, 'approval_resolved', { request, decision: 'approved', by: 'alice', reason: null });

describe('markdownLines', () => {
  it('draws headings, lists under their text, quotes, rules and code blocks as written', () => {
    const text = [
      '## Plan',
      '- first step, which is long enough to wrap',
      '  1. nested',
      '> quoted',
      '---',
      '```ts',
      'const  x = 1;',
      '```',
      'after',
    ].join('\n');
    assert.deepEqual(texts(markdownLines(text, 24)), [
      'Plan',
      '• first step, which is',
      '  long enough to wrap',
      '  1. nested',
      '│ quoted',
      '─'.repeat(24),
      '│ const  x = 1;',
      'after',
    ]);
    const heading = markdownLines('# Title', 20)[0]!;
    assert.ok(
      heading.spans?.every((span) => span.bold && span.color === 'cyan'),
      'a heading is bold cyan',
    );
  });

  it('styles inline code and bold, dropping their marks', () => {
    const [line] = markdownLines('run `npm test` **now**', 40);
    assert.equal(line!.text, 'run npm test now');
    assert.deepEqual(
      line!.spans!.filter((span) => span.text.trim() !== '').map((span) => [span.text.trim(), span.color, span.bold]),
      [
        ['run', undefined, false],
        ['npm test', 'yellow', false],
        ['now', undefined, true],
      ],
    );
  });

  it('cuts a word longer than the line rather than losing it', () => {
    assert.deepEqual(texts(markdownLines('x'.repeat(25), 10)), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });
});

describe('conversation', () => {
  it('shows a reply as it streams, at its first piece, then the whole reply in its place', () => {
    const streams = noStreams();
    const prompt = event(1, 'turn_started', { prompt: 'hi', resumed: false });
    const partial = [prompt, delta(2, 'm1', 'Hello'), delta(3, 'm1', ' there')];
    const first = conversation(partial, streams);
    assert.deepEqual(
      first.map((shown) => [shown.seq, shown.type]),
      [
        [1, 'turn_started'],
        [2, 'agent_message'],
      ],
    );
    assert.equal((first[1] as SessionEvent<'agent_message'>).payload.text, 'Hello there');
    assert.equal(conversation(partial, streams)[1], first[1], 'an unchanged stream keeps its event (and layout)');
    const done = conversation(
      [...partial, event(4, 'agent_message', { item_id: 'm1', text: 'Hello there!' })],
      streams,
    );
    assert.deepEqual(
      done.map((shown) => shown.seq),
      [1, 4],
    );
  });

  it('shows a finished command once, and leaves out reasoning and output pieces', () => {
    const [started, completed] = command(2, 'ls', 'a\nb');
    const events = [
      started,
      event(3, 'command_output_delta', { item_id: 'cmd_2', text: 'a' }),
      completed,
      event(5, 'reasoning', { item_id: 'r', text: 'thinking' }),
    ];
    const shown = conversation(events, noStreams());
    assert.deepEqual(
      shown.map((one) => one.seq),
      [3],
    );
    assert.deepEqual(texts(chatLines(shown[0]!, 40, new Set())), ['$ ls  [exit 0]'], 'one line, no output');
  });
});

describe('pending approvals', () => {
  it('lists requests not yet answered, oldest first, from the session and its events', () => {
    const listed = session({
      pending_approvals: [{ request: 'ap_1', turn: 1, kind: 'command', command: 'a', paths: [], reason: null }],
    });
    const events = [asked(1, 'ap_1', 'a'), asked(2, 'ap_2', 'b'), asked(3, 'ap_3', 'c'), answered(4, 'ap_2')];
    assert.deepEqual(pendingRequests(listed, events), ['ap_1', 'ap_3']);
    assert.deepEqual(pendingRequests(undefined, [...events, answered(5, 'ap_1')]), ['ap_3']);
  });

  it('draws a pending request with the keys that answer it, and an answered one without', () => {
    const request = asked(1, 'ap_1', 'touch x');
    const waiting = texts(chatLines(request, 60, new Set(['ap_1'])));
    assert.match(waiting[0]!, /\? ap_1 asks to run touch x/);
    assert.match(waiting[1]!, /y approve · n deny · a always/);
    assert.deepEqual(texts(chatLines(request, 60, new Set())), [waiting[0]]);
  });
});

describe('ChatPane', () => {
  const pane = (props: Partial<Parameters<typeof ChatPane>[0]> = {}) => (
    <ChatPane
      session={session({ id: 's_abc', status: 'running', queued: 2 })}
      events={[]}
      pending={[]}
      scroll={FOLLOW}
      draft=""
      mode="typing"
      focused
      width={60}
      height={10}
      notice={undefined}
      {...props}
    />
  );

  it('names the session, draws the conversation above the box and the box at the bottom', async () => {
    const events = [
      event(1, 'turn_started', { prompt: 'list files', resumed: false }),
      ...command(2, 'ls', 'a'),
      message(4, 'Found `a`.'),
      event(5, 'turn_completed', {
        usage: { input_tokens: 12, cached_input_tokens: 0, output_tokens: 3, reasoning_output_tokens: 0 },
      }),
    ];
    const frame = await frameOf(
      pane({ events: conversation(events, noStreams()), draft: 'next', notice: 'turn 1 started' }),
    );
    assert.equal(frame[0], 'Message s_abc (running, 2 queued)');
    assert.equal(frame.length, 10);
    assert.deepEqual(frame.slice(1, 8), [
      '',
      '── turn 1 ──',
      '> list files',
      '$ ls  [exit 0]',
      'Found a.',
      '── turn 1 done · 12 in · 3 out ──',
      '── Enter sends · Ctrl-S steers · Ctrl-J new line · ↑ read…',
    ]);
    assert.deepEqual(frame.slice(8), ['> next', 'turn 1 started']);
  });

  it('says the session waits for an approval, and keeps the newest lines of a tall draft', async () => {
    const draft = Array.from({ length: 12 }, (_, index) => `line ${index + 1}`).join('\n');
    const frame = await frameOf(pane({ events: [asked(1, 'ap_1', 'rm x')], pending: ['ap_1'], draft }));
    assert.equal(frame[0], 'Message s_abc (running, 2 queued, waits for approval)');
    assert.match(frame.join('\n'), /y approve · n deny · a always/);
    assert.deepEqual(frame.slice(-3), ['  line 10', '  line 11', '  line 12']);
  });

  it('without a session asks for one', async () => {
    assert.equal((await frameOf(pane({ session: undefined })))[0], 'Select a session to chat with.');
  });
});
