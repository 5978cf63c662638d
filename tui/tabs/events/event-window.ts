import type { SessionEvent } from '../../../src/protocol/session-events.js';
import type { Line } from '../../state/event-lines.js';

/** A place in the loaded events: the window's bottom line is `up` lines above the last line of event `seq`. */
export interface Anchor {
  seq: number;
  /** Lines above the end of the event (negative: below it, in the events after it). */
  up: number;
}

/**
 * Where the events pane is scrolled: following the newest event, or held at
 * an anchor. Anchoring at an event rather than at a count of lines from the
 * newest keeps the view still while events stream in, costs a screenful to
 * lay out wherever it is, and lets events far from it be dropped from memory.
 */
export type Scroll = { follow: true } | ({ follow: false } & Anchor);

export const FOLLOW: Scroll = { follow: true };

export interface EventWindow {
  lines: Line[];
  /** The event each line belongs to. */
  owners: SessionEvent[];
  /** The first line shown is the oldest loaded line. */
  atTop: boolean;
  /** The last line shown is the newest loaded line. */
  atBottom: boolean;
  /** The window's place, normalised: anchored at the event of its bottom line (undefined with no events). */
  anchor: Anchor | undefined;
}

type Layout = (event: SessionEvent) => Line[];

/**
 * The `height` lines of the events at `scroll`. Only events that reach the
 * window are laid out. Scrolled past the oldest line the window stops there
 * and stays full; past the newest it stops at the newest.
 */
export function eventWindow(
  events: readonly SessionEvent[],
  layout: Layout,
  height: number,
  scroll: Scroll,
): EventWindow {
  if (events.length === 0 || height <= 0) {
    return { lines: [], owners: [], atTop: true, atBottom: true, anchor: undefined };
  }
  let { index, up } = normalise(events, layout, startOf(events, scroll));
  const above = linesUpFrom(events, layout, index, up, height);
  let lines = above.lines;
  let owners = above.owners;
  if (lines.length < height) {
    // Ran out at the oldest line: fill the window from below instead.
    const below = linesDownFrom(events, layout, index, up, height - lines.length);
    lines = [...lines, ...below.lines];
    owners = [...owners, ...below.owners];
    ({ index, up } = below.bottom);
  }
  const atBottom = up === 0 && nothingAfter(events, layout, index);
  return {
    lines,
    owners,
    atTop: above.reachedTop,
    atBottom,
    anchor: { seq: events[index]!.seq, up },
  };
}

/** The index of the first event with a seq at or after `seq` (events are in seq order). */
export function lowerBound(events: readonly SessionEvent[], seq: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events[middle]!.seq < seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

function startOf(events: readonly SessionEvent[], scroll: Scroll): { index: number; up: number } {
  if (scroll.follow) return { index: events.length - 1, up: 0 };
  const index = lowerBound(events, scroll.seq);
  // Its event is newer than any loaded: the newest line is as close as there is.
  if (index === events.length) return { index: events.length - 1, up: 0 };
  return { index, up: scroll.up };
}

/** Moves the anchor to the event that holds the window's bottom line, with `up` inside that event's lines. */
function normalise(
  events: readonly SessionEvent[],
  layout: Layout,
  start: { index: number; up: number },
): { index: number; up: number } {
  let { index, up } = start;
  while (up < 0 && index < events.length - 1) {
    index++;
    up += layout(events[index]!).length;
  }
  if (up < 0) up = 0;
  while (index > 0 && up >= layout(events[index]!).length) {
    up -= layout(events[index]!).length;
    index--;
  }
  return { index, up: Math.min(up, layout(events[index]!).length) };
}

/** Up to `height` lines ending `up` lines above the end of event `index`. */
function linesUpFrom(events: readonly SessionEvent[], layout: Layout, index: number, up: number, height: number) {
  const chunks: { lines: Line[]; event: SessionEvent }[] = [];
  const own = layout(events[index]!);
  chunks.push({ lines: own.slice(0, own.length - up), event: events[index]! });
  let taken = chunks[0]!.lines.length;
  let top = index;
  while (taken < height && top > 0) {
    top--;
    const lines = layout(events[top]!);
    chunks.push({ lines, event: events[top]! });
    taken += lines.length;
  }
  chunks.reverse();
  const lines = chunks.flatMap((chunk) => chunk.lines);
  const owners = chunks.flatMap((chunk) => chunk.lines.map(() => chunk.event));
  const cut = Math.max(0, lines.length - height);
  return { lines: lines.slice(cut), owners: owners.slice(cut), reachedTop: top === 0 && cut === 0 };
}

/** Up to `wanted` lines after the window's bottom (the last `up` lines of event `index`, then the next events). */
function linesDownFrom(events: readonly SessionEvent[], layout: Layout, index: number, up: number, wanted: number) {
  const lines: Line[] = [];
  const owners: SessionEvent[] = [];
  let at = index;
  let rest = up;
  while (lines.length < wanted) {
    const own = layout(events[at]!);
    const from = own.length - rest;
    const take = Math.min(rest, wanted - lines.length);
    for (let line = from; line < from + take; line++) {
      lines.push(own[line]!);
      owners.push(events[at]!);
    }
    rest -= take;
    if (lines.length >= wanted || at === events.length - 1) break;
    at++;
    rest = layout(events[at]!).length;
  }
  return { lines, owners, bottom: { index: at, up: rest } };
}

/** Whether no event after `index` shows a line. */
function nothingAfter(events: readonly SessionEvent[], layout: Layout, index: number): boolean {
  for (let at = index + 1; at < events.length; at++) if (layout(events[at]!).length > 0) return false;
  return true;
}
