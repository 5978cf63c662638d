import { randomBytes } from 'node:crypto';
import { CortexError } from '../../src/protocol/errors.js';
import type { ApprovalDecision, PendingApproval } from '../../src/protocol/runtime-types.js';
import type { ApprovalAnswer, ApprovalAsk } from './providers/provider.js';

/** An approval request waiting for a person, with the way to hand their answer to the provider. */
export interface PendingAsk {
  request: string;
  turn: number;
  ask: ApprovalAsk;
  settle(answer: ApprovalAnswer): void;
}

export const DECISIONS: Record<ApprovalAnswer, ApprovalDecision> = {
  approve: 'approved',
  approve_for_session: 'approved_for_session',
  deny: 'denied',
  cancelled: 'cancelled',
};

/** A request id people can type: `ap_` and six letters or digits. */
export function newRequestId(): string {
  return `ap_${randomBytes(6)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 6)}`;
}

export function pendingView(pending: PendingAsk): PendingApproval {
  const { request, turn, ask } = pending;
  return {
    request,
    turn,
    kind: ask.kind,
    command: ask.command,
    paths: ask.changes.map((change) => change.path),
    reason: ask.reason,
  };
}

/**
 * The request an answer is for: the one named, or the only one waiting. With several waiting and none named
 * the answer is refused, so nobody approves an action they have not seen.
 */
export function pickPending(waiting: readonly PendingAsk[], session: string, request?: string): PendingAsk {
  if (request !== undefined) {
    const named = waiting.find((pending) => pending.request === request);
    if (named === undefined)
      throw new CortexError('ENOTFOUND', `Session ${session} has no pending request ${request}.`);
    return named;
  }
  if (waiting.length === 0) throw new CortexError('ENOTFOUND', `Session ${session} is not waiting for an approval.`);
  if (waiting.length > 1) {
    throw new CortexError(
      'EINVAL',
      `Session ${session} waits on ${waiting.length} requests (${waiting.map((p) => p.request).join(', ')}); name the one to answer.`,
    );
  }
  return waiting[0]!;
}
