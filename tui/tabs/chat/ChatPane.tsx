import { Text } from 'ink';
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { Session } from '../../../src/protocol/runtime-types.js';
import type { SessionEvent } from '../../../src/protocol/session-events.js';
import { LineText } from '../../components/LineText.js';
import { Pane } from '../../components/Pane.js';
import type { Line } from '../../state/event-lines.js';
import { type Anchor, eventWindow, type Scroll } from '../events/event-window.js';
import { chatLines } from './chat-lines.js';

/** Where the conversation is, for the next scroll key. */
export interface ChatShown {
  anchor: Anchor | undefined;
  atTop: boolean;
  atBottom: boolean;
}

interface Props {
  session: Session | undefined;
  /** The conversation's events (see conversation()). */
  events: readonly SessionEvent[];
  /** Approval requests waiting for an answer: drawn with the keys that answer them. */
  pending: readonly string[];
  scroll: Scroll;
  draft: string;
  /** Typing in the box, or reading the conversation above it. */
  mode: 'typing' | 'reading';
  focused: boolean;
  width: number;
  height: number;
  notice: string | undefined;
  onShown?: (shown: ChatShown) => void;
}

const HINTS = {
  typing: 'Enter sends · Ctrl-S steers · Ctrl-J new line · ↑ reads · Ctrl-R resumes · Esc tree',
  reading: 'j/k scroll · y/n/a answer · r resume · Enter or i types · Esc tree',
};

/**
 * The conversation with the open session, newest at the bottom (following it
 * unless scrolled up), and the message box below it.
 */
export function ChatPane(props: Props) {
  const { session, events, pending, scroll, draft, mode, focused, width, height, notice, onShown } = props;
  const draftLines = draft.split('\n');
  const boxRows = Math.min(draftLines.length, Math.max(1, Math.floor(height / 3)));
  const talkRows = Math.max(0, height - 2 - boxRows - (notice ? 1 : 0));
  const layout = useChatLayout(Math.max(10, width - 2), pending);
  const window = useMemo(() => eventWindow(events, layout, talkRows, scroll), [events, layout, talkRows, scroll]);
  useLayoutEffect(
    () => onShown?.({ anchor: window.anchor, atTop: window.atTop, atBottom: window.atBottom }),
    [window, onShown],
  );
  const waits = pending.length > 0 ? `, waits for approval` : '';
  const title = session
    ? `Message ${session.id} (${session.status}${session.queued ? `, ${session.queued} queued` : ''}${waits})${window.atBottom ? '' : ' · scrolled (G follows)'}`
    : 'Select a session to chat with.';
  // A short conversation sits on the box, as in a chat, with the room above it.
  const talk = [...Array<Line>(Math.max(0, talkRows - window.lines.length)).fill({ text: '' }), ...window.lines];
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      {talk.map((line, index) => (
        <LineText key={index} line={line} />
      ))}
      <Text color="gray" wrap="truncate">
        {`── ${HINTS[mode]}`}
      </Text>
      {draftLines.slice(-boxRows).map((line, index, shown) => (
        <Text key={`d${index}`} wrap="truncate">
          {index === 0 && shown.length === draftLines.length ? '> ' : '  '}
          {line}
          {focused && mode === 'typing' && index === shown.length - 1 ? <Text inverse> </Text> : null}
        </Text>
      ))}
      {notice ? (
        <Text color="yellow" wrap="truncate">
          {notice}
        </Text>
      ) : null}
    </Pane>
  );
}

/** Lays events out once per width (kept per event object); a request's lines follow whether it still waits. */
function useChatLayout(width: number, pending: readonly string[]) {
  const cache = useRef({ width, lines: new WeakMap<SessionEvent, Line[]>() });
  if (cache.current.width !== width) cache.current = { width, lines: new WeakMap() };
  const key = pending.join(' ');
  return useMemo(() => {
    const waiting = new Set(key === '' ? [] : key.split(' '));
    const lines = cache.current.lines;
    return (event: SessionEvent): Line[] => {
      if (event.type === 'approval_requested') return chatLines(event, width, waiting);
      let laid = lines.get(event);
      if (laid === undefined) lines.set(event, (laid = chatLines(event, width, waiting)));
      return laid;
    };
  }, [width, key]);
}
