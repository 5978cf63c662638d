import type { Session } from '../../src/protocol/runtime-types.js';
import type { SessionEvent } from '../../src/protocol/session-events.js';

/**
 * The approval requests of a session still waiting for an answer, oldest
 * first: those the session lists, and those its loaded events ask without an
 * answer yet (the events arrive live, the session with the tree's next refresh).
 */
export function pendingRequests(session: Session | undefined, events: readonly SessionEvent[]): string[] {
  const pending = (session?.pending_approvals ?? []).map((approval) => approval.request);
  const answered = new Set<string>();
  for (const event of events) {
    if (event.type === 'approval_requested' && !pending.includes(event.payload.request))
      pending.push(event.payload.request);
    if (event.type === 'approval_resolved') answered.add(event.payload.request);
  }
  return pending.filter((request) => !answered.has(request));
}
