import { verify } from 'node:crypto';
import { CortexError, errorData } from '../../src/protocol/errors.js';
import { type CallProof, type CallStatement, signedBytes } from './call-proof.js';
import { FreshNonces } from './fresh-nonces.js';
import type { OriginCertificates } from './origin-certificates.js';

/**
 * The narrowest window a signature's time is judged in, whatever max_clock_drift_ms says: a relay
 * takes time and no two clocks agree exactly, so a drift of 0 (no write from ahead of this clock)
 * would otherwise refuse every relayed call.
 */
const MIN_WINDOW_MS = 5_000;

/**
 * The target's check of a relayed call's signature (call-proof.ts): the origin's
 * certificate vouches for the origin (origin-certificates.ts), its key verifies
 * the signature over exactly this call, the signature is no older and no further
 * ahead than the mesh's clock drift allows, and its nonce was not seen within
 * that window. Anything else is EACCES saying why.
 */
export class CallVerifier {
  private readonly nonces = new FreshNonces();

  private readonly windowMs: number;

  constructor(
    private readonly certificates: OriginCertificates,
    maxDriftMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windowMs = Math.max(maxDriftMs, MIN_WINDOW_MS);
  }

  check(statement: CallStatement, proof: CallProof | undefined): void {
    const { origin } = statement;
    if (proof === undefined) throw refused(statement, `it was relayed, and carries no signature of ${origin}`);
    const now = this.now();
    const age = now - proof.at;
    if (Math.abs(age) > this.windowMs) {
      const when =
        age > 0 ? `${Math.round(age / 1000)} s ago` : `${Math.round(-age / 1000)} s ahead of this node's clock`;
      throw refused(
        statement,
        `it was signed ${when}, past the ${this.windowMs / 1000} s allowed (max_clock_drift_ms)`,
      );
    }
    const key = this.certificates.keyOf(origin, proof.cert, now);
    if (typeof key === 'string') throw refused(statement, key);
    if (!verify('sha256', signedBytes(statement, proof.at, proof.nonce), key, proof.sig)) {
      throw refused(statement, `its signature is not ${origin}'s over this call`);
    }
    if (!this.nonces.take(origin, proof.nonce, proof.at + this.windowMs, now)) {
      // A query fanned out reaches a node by every path to it: its second copy is this too, and expected.
      throw refused(statement, `it was already taken once (nonce ${proof.nonce}): a replay`, { replay: true });
    }
  }
}

/** Whether `error` is check()'s refusal of a signature seen before. */
export function isReplayRefusal(error: unknown): boolean {
  const data = errorData(error);
  return typeof data === 'object' && data !== null && 'replay' in data && data.replay === true;
}

function refused(statement: CallStatement, why: string, data?: { replay: true }): CortexError {
  return new CortexError('EACCES', `The call for ${statement.identity} was refused: ${why}.`, data);
}
