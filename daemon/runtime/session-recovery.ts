import type { EventLog } from './event-log.js';
import type { StoredSession } from './runtime-store.js';

/** What a session's log says about it that its row does not hold. */
export interface Recovered {
  /** Messages queued and not yet run (they outlive the daemon: the log holds them). */
  queue: string[];
  /** Approval requests of the turn the daemon died in that nobody answered. */
  unanswered: string[];
}

/** Each lookup walks back from the newest event only as far as it must: a long history costs no more. */
export function recoverSession(events: EventLog, stored: StoredSession): Recovered {
  const { id, status } = stored;
  const cutShort = status === 'running' || status === 'starting';
  return {
    // Only a turn that was running (or cut by a graceful stop: interrupted) can have had a queue behind it.
    queue: cutShort || status === 'interrupted' ? queuedPrompts(events, id) : [],
    unanswered: cutShort ? unanswered(events, id) : [],
  };
}

/**
 * A queued message carries the number of the turn it will be, and those numbers grow with the log. Walking
 * back: the first turn_started gives the last turn that ran; queued messages for later turns still wait;
 * a queued message for a turn that ran, or a stop (which drops the queue), ends the walk.
 */
function queuedPrompts(events: EventLog, session: string): string[] {
  const waiting: { turn: number; prompt: string }[] = [];
  let lastStarted: number | undefined;
  for (const event of events.newestFirst(session, ['turn_started', 'turn_queued', 'session_stopped'])) {
    if (event.type === 'session_stopped') break;
    if (event.type === 'turn_started') lastStarted ??= event.turn;
    else if (lastStarted !== undefined && event.turn <= lastStarted) break;
    else waiting.push({ turn: event.turn, prompt: event.payload.prompt });
  }
  return waiting
    .filter((queued) => lastStarted === undefined || queued.turn > lastStarted)
    .reverse()
    .map((queued) => queued.prompt);
}

/** The requests of the last turn without an answer: walking back to that turn's start. */
function unanswered(events: EventLog, session: string): string[] {
  const answered = new Set<string>();
  const waiting: string[] = [];
  for (const event of events.newestFirst(session, ['approval_requested', 'approval_resolved', 'turn_started'])) {
    if (event.type === 'turn_started') break;
    if (event.type === 'approval_resolved') answered.add(event.payload.request);
    else if (!answered.has(event.payload.request)) waiting.push(event.payload.request);
  }
  return waiting.reverse();
}
