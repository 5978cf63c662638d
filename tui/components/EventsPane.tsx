import { Box, Text } from 'ink';
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { Session } from '../../src/protocol/runtime-types.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';
import { eventLines, type Line, visibleLines } from '../state/event-lines.js';

interface Props {
  session: Session | undefined;
  events: readonly SessionEvent[];
  /** Lines scrolled up from the newest; 0 follows the tail. */
  offset: number;
  expanded: boolean;
  focused: boolean;
  width: number;
  height: number;
  hasOlder: boolean;
  /**
   * Told the offset actually shown: less than `offset` when that would scroll past the oldest
   * line (after g), so that scrolling back down starts from what is on screen.
   */
  onShownOffset?: (offset: number) => void;
  /** Told the file change (or turn diff) Enter would open: the lowest one on screen. */
  onMarked?: (event: SessionEvent | undefined) => void;
}

/** The last event among those on screen that Enter opens the diff of: a completed file change or a turn's diff. */
function lowestWithDiff(owners: readonly SessionEvent[]): SessionEvent | undefined {
  for (let index = owners.length - 1; index >= 0; index--) {
    const event = owners[index]!;
    if ((event.type === 'file_change' && event.payload.phase === 'completed') || event.type === 'turn_diff')
      return event;
  }
  return undefined;
}

/**
 * A session's events, newest at the bottom, following the tail unless the user
 * scrolled up. Only the events that reach the screen are laid out (their lines
 * cached per width), so 100,000 events scroll as fast as 100.
 */
export function EventsPane({
  session,
  events,
  offset,
  expanded,
  focused,
  width,
  height,
  hasOlder,
  onShownOffset,
  onMarked,
}: Props) {
  const inner = Math.max(10, width - 2);
  const cache = useRef(new Map<SessionEvent, Line[]>());
  const key = `${inner}:${expanded}`;
  const cacheKey = useRef(key);
  if (cacheKey.current !== key) {
    cache.current = new Map();
    cacheKey.current = key;
  }
  // A command that has finished is shown once, by its completed event.
  const finished = useMemo(
    () =>
      new Set(
        events.flatMap((event) =>
          event.type === 'command' && event.payload.phase === 'completed' ? [event.payload.item_id] : [],
        ),
      ),
    [events],
  );
  const bodyHeight = Math.max(1, height - 1);
  const {
    lines,
    owners,
    atTop,
    offset: shownOffset,
  } = useMemo(
    () =>
      visibleLines(
        events,
        (event) => {
          if (event.type === 'command' && event.payload.phase === 'started' && finished.has(event.payload.item_id))
            return [];
          let laid = cache.current.get(event);
          if (laid === undefined) cache.current.set(event, (laid = eventLines(event, inner, expanded)));
          return laid;
        },
        bodyHeight,
        offset,
      ),
    [events, inner, expanded, bodyHeight, offset, finished],
  );
  // A layout effect, so the app knows it before the next key is handled.
  useLayoutEffect(() => onShownOffset?.(shownOffset), [shownOffset, onShownOffset]);

  // The notice of older events takes a body line: drawn over a full body, it overflowed the box onto the title.
  const olderNotice = atTop && hasOlder;
  const shown = olderNotice ? lines.slice(0, bodyHeight - 1) : lines;
  const marked = lowestWithDiff(owners.slice(0, shown.length));
  useLayoutEffect(() => onMarked?.(marked), [marked, onMarked]);
  const markedAt = marked === undefined ? -1 : owners.indexOf(marked);
  const title = session
    ? `${session.id} · ${session.provider} · ${session.status} · turn ${session.turns}${shownOffset > 0 ? ' · scrolled (G follows)' : ''}`
    : 'No session selected: choose one in the tree, or press n to start one.';
  return (
    <Box
      flexDirection="column"
      height={height + 2}
      width={width}
      borderStyle="single"
      borderColor={focused ? 'cyan' : 'gray'}
    >
      <Text bold wrap="truncate">
        {title}
      </Text>
      {olderNotice ? <Text color="gray">… older events load as you scroll</Text> : null}
      {shown.map((line, index) => (
        <Text key={index} color={line.color} bold={line.bold} wrap="truncate">
          {index === markedAt && focused ? '⏎ ' : ''}
          {line.text === '' ? ' ' : line.text}
        </Text>
      ))}
    </Box>
  );
}
