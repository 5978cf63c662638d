import { Text } from 'ink';
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { Session } from '../../../src/protocol/runtime-types.js';
import type { SessionEvent } from '../../../src/protocol/session-events.js';
import { eventLines, type Line } from '../../state/event-lines.js';
import { Pane } from '../../components/Pane.js';
import { type Anchor, eventWindow, type Scroll } from './event-window.js';

/** What the pane shows, for the app's next key: where it is, and what Enter would open. */
export interface EventsShown {
  anchor: Anchor | undefined;
  atTop: boolean;
  atBottom: boolean;
  /** The file change (or turn diff) Enter opens the diff of: the lowest one on screen. */
  marked: SessionEvent | undefined;
}

interface Props {
  session: Session | undefined;
  events: readonly SessionEvent[];
  scroll: Scroll;
  expanded: boolean;
  focused: boolean;
  width: number;
  height: number;
  hasOlder: boolean;
  hasNewer: boolean;
  /** Told what is on screen after each change, before the next key is handled. */
  onShown?: (shown: EventsShown) => void;
}

/**
 * A session's events, newest at the bottom, following the tail unless the user
 * scrolled up. Only the events that reach the screen are laid out (their lines
 * cached per width), so 100,000 events scroll as fast as 100.
 */
export function EventsPane({
  session,
  events,
  scroll,
  expanded,
  focused,
  width,
  height,
  hasOlder,
  hasNewer,
  onShown,
}: Props) {
  const layout = useLayoutCache(events, Math.max(10, width - 2), expanded);
  const bodyHeight = Math.max(1, height - 1);
  const window = useMemo(() => eventWindow(events, layout, bodyHeight, scroll), [events, layout, bodyHeight, scroll]);
  // The notice of older events takes a body line: drawn over a full body, it overflowed the box onto the title.
  const olderNotice = window.atTop && hasOlder;
  const room = olderNotice ? bodyHeight - 1 : bodyHeight;
  const shown = window.lines.slice(0, room);
  const owners = window.owners.slice(0, room);
  const marked = lowestWithDiff(owners);
  const markedAt = marked === undefined ? -1 : owners.indexOf(marked);
  // A layout effect, so the app knows it before the next key is handled.
  useLayoutEffect(
    () => onShown?.({ anchor: window.anchor, atTop: window.atTop, atBottom: window.atBottom, marked }),
    [window, marked, onShown],
  );
  const scrolled = !window.atBottom || hasNewer;
  const title = session
    ? `${session.id} · ${session.provider} · ${session.status} · turn ${session.turns}${scrolled ? ' · scrolled (G follows)' : ''}`
    : 'No session selected: choose one in the tree, or press n to start one.';
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      {olderNotice ? <Text color="gray">… older events load as you scroll</Text> : null}
      {shown.map((line, index) => (
        <Text key={index} color={line.color} bold={line.bold} wrap="truncate">
          {index === markedAt && focused ? '⏎ ' : ''}
          {line.text === '' ? ' ' : line.text}
        </Text>
      ))}
    </Pane>
  );
}

/**
 * Lays events out at a width, each once: a finished command shows only by its
 * completed event. Lines are kept per event object in a WeakMap, so events the
 * window drops take their lines with them.
 */
function useLayoutCache(events: readonly SessionEvent[], width: number, expanded: boolean) {
  const cache = useRef(new WeakMap<SessionEvent, Line[]>());
  const key = `${width}:${expanded}`;
  const cacheKey = useRef(key);
  if (cacheKey.current !== key) {
    cache.current = new WeakMap();
    cacheKey.current = key;
  }
  const finished = useMemo(() => completedCommands(events), [events]);
  return useMemo(
    () =>
      (event: SessionEvent): Line[] => {
        if (event.type === 'command' && event.payload.phase === 'started' && finished.has(event.payload.item_id))
          return [];
        let laid = cache.current.get(event);
        if (laid === undefined) cache.current.set(event, (laid = eventLines(event, width, expanded)));
        return laid;
      },
    // The cache follows width and expanded through cacheKey; finished changes which commands show.
    [finished, width, expanded],
  );
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
 * The item ids of the commands that completed. Worked out again for every batch
 * streamed in, over the whole window: a loop, not a flatMap that made an array
 * per event (5,000 of them per batch, ~2% of the TUI's CPU while streaming).
 */
function completedCommands(events: readonly SessionEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const event of events) {
    if (event.type === 'command' && event.payload.phase === 'completed') ids.add(event.payload.item_id);
  }
  return ids;
}
