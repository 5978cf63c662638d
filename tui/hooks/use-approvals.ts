import { useMemo } from 'react';
import { errorMessage } from '../../src/protocol/errors.js';
import { pendingRequests } from '../state/approvals.js';
import { onNode } from '../state/on-node.js';
import type { TabContext } from '../tabs/tab.js';

/** How a person answers an approval request: `y`, `n` or `a` (approve this kind of action for the session). */
export type Answer = 'approve' | 'deny' | 'always';

export interface Approvals {
  /** The open session's requests waiting for an answer, oldest first. */
  pending: string[];
  /** Answers the oldest, on the session's node, and says in the status bar how it went. */
  answer: (how: Answer) => void;
}

/** A hidden tab's requests: it shows none and answers none. */
const NONE_PENDING: string[] = [];

/** The open session's approval requests, for the tabs that answer them (Events and Chat). */
export function useApprovals(context: TabContext): Approvals {
  const { client, notify } = context;
  const { session, node, events } = context.open;
  // Only for the tab shown (its hints and keys are the ones in use): two tabs read the whole event
  // window again for every batch streamed in.
  const pending = useMemo(
    () => (context.active ? pendingRequests(session, events.events) : NONE_PENDING),
    [context.active, session, events.events],
  );
  const answer = (how: Answer) => {
    const request = pending[0];
    if (!client || !session) return notify('Select a session first.');
    if (request === undefined) return notify(`${session.id} is not waiting for an approval.`);
    const params = { session: session.id, request, ...onNode(node) };
    const call =
      how === 'deny'
        ? client.call('session_deny', params)
        : client.call('session_approve', { ...params, always: how === 'always' });
    call.then(
      ({ decision }) => notify(`${request} ${decision.replace(/_/g, ' ')}`),
      (error: unknown) => notify(errorMessage(error)),
    );
  };
  return { pending, answer };
}

/** The y, n and a actions of a tab. */
export function answerActions(approvals: Approvals): Record<Answer, () => void> {
  return {
    approve: () => approvals.answer('approve'),
    deny: () => approvals.answer('deny'),
    always: () => approvals.answer('always'),
  };
}

/** A tab's status-bar hints, led by the request that waits, if one does. */
export function withPending(approvals: Approvals, hints: string): string {
  const oldest = approvals.pending[0];
  return oldest === undefined ? hints : `${oldest} waits: y/n/a answer · ${hints}`;
}
