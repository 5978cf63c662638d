import type { RunAs } from '../../src/protocol/session-events.js';
import type { EventLog } from './event-log.js';
import type { StoredSession } from './runtime-store.js';

/** What a session's log says about it that its row does not hold. */
export interface Recovered {
  /** The account its processes run as, from its session_started event (the daemon wrote it; no client can). */
  runAs: RunAs | null;
  /** Messages queued and not yet run (they outlive the daemon: the log holds them). */
  queue: string[];
  /** Approval requests of the turn the daemon died in that nobody answered. */
  unanswered: string[];
}

export function recoverSession(events: EventLog, stored: StoredSession): Recovered {
  const { id } = stored;
  const started = events.ofTurn(id, 0, 'session_started')[0];
  return {
    runAs: started?.payload.run_as ?? null,
    queue: stored.status === 'stopped' ? [] : queuedPrompts(events, id),
    unanswered: stored.status === 'running' || stored.status === 'starting' ? unanswered(events, id, stored.turns) : [],
  };
}

/**
 * A queued message carries the number of the turn it will be; it is still waiting when no turn of that
 * number started, and no stop (which drops the queue) came after it.
 */
function queuedPrompts(events: EventLog, session: string): string[] {
  const stoppedAt = events.lastOfTypeIn(session, 'session_stopped')?.seq ?? 0;
  const lastTurn = events.lastOfTypeIn(session, 'turn_started')?.turn ?? 0;
  return events
    .ofTypeAfter(session, 'turn_queued', stoppedAt)
    .filter((event) => event.turn > lastTurn)
    .map((event) => event.payload.prompt);
}

function unanswered(events: EventLog, session: string, turn: number): string[] {
  const answered = new Set(events.ofTurn(session, turn, 'approval_resolved').map((event) => event.payload.request));
  return events
    .ofTurn(session, turn, 'approval_requested')
    .map((event) => event.payload.request)
    .filter((request) => !answered.has(request));
}
