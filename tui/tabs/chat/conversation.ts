import type { SessionEvent } from '../../../src/protocol/session-events.js';

/** Events that are not part of the conversation: the agent's thinking, raw output, checks and turn diffs. */
const LEFT_OUT = new Set<SessionEvent['type']>([
  'reasoning',
  'stderr',
  'raw',
  'turn_diff',
  'check_result',
  'command_output_delta',
  'todo_list',
]);

/** The reply being streamed for an item: kept between calls, so an unchanged text keeps its event (and layout). */
export type Streams = Map<string, SessionEvent<'agent_message'>>;

/**
 * The events the Chat tab shows, in order: a reply still streaming becomes
 * one `agent_message` holding its pieces so far, at the place of its first
 * piece; once the whole reply arrives, that replaces the pieces. A started
 * command that has completed shows only as completed.
 */
export function conversation(events: readonly SessionEvent[], streams: Streams): SessionEvent[] {
  const whole = new Set<string>();
  const finished = new Set<string>();
  const pieces = new Map<string, { first: SessionEvent<'agent_message_delta'>; text: string }>();
  for (const event of events) {
    if (event.type === 'agent_message') {
      whole.add(event.payload.item_id);
      streams.delete(event.payload.item_id);
    }
    if (event.type === 'command' && event.payload.phase === 'completed') finished.add(event.payload.item_id);
    if (event.type === 'agent_message_delta') {
      const held = pieces.get(event.payload.item_id);
      if (held) held.text += event.payload.text;
      else pieces.set(event.payload.item_id, { first: event, text: event.payload.text });
    }
  }
  const shown: SessionEvent[] = [];
  for (const event of events) {
    if (LEFT_OUT.has(event.type)) continue;
    if (event.type === 'command' && event.payload.phase !== 'completed' && finished.has(event.payload.item_id))
      continue;
    if (event.type !== 'agent_message_delta') {
      shown.push(event);
      continue;
    }
    const item = event.payload.item_id;
    const held = pieces.get(item);
    if (whole.has(item) || held?.first !== event) continue;
    shown.push(streamedSoFar(held, streams));
  }
  return shown;
}

/** The reply so far as one event, the same object as last time while its text has not grown. */
function streamedSoFar(
  held: { first: SessionEvent<'agent_message_delta'>; text: string },
  streams: Streams,
): SessionEvent<'agent_message'> {
  const { first, text } = held;
  const item = first.payload.item_id;
  const known = streams.get(item);
  if (known?.payload.text === text && known.seq === first.seq) return known;
  const event: SessionEvent<'agent_message'> = { ...first, type: 'agent_message', payload: { item_id: item, text } };
  streams.set(item, event);
  return event;
}
