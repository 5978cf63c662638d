import { verify } from 'node:crypto';
import { CortexError } from '../../src/protocol/errors.js';
import { type CallProof, type CallStatement, signedBytes } from './call-proof.js';
import { FreshNonces } from './fresh-nonces.js';
import type { OriginCertificates } from './origin-certificates.js';

/**
 * The target's check of a relayed call's signature (call-proof.ts): the origin's
 * certificate vouches for the origin (origin-certificates.ts), its key verifies
 * the signature over exactly this call, the signature is no older and no further
 * ahead than the mesh's clock drift allows, and its nonce was not seen within
 * that window. Anything else is EACCES saying why.
 */
export class CallVerifier {
  private readonly nonces = new FreshNonces();

  constructor(
    private readonly certificates: OriginCertificates,
    private readonly maxDriftMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  check(statement: CallStatement, proof: CallProof | undefined): void {
    const { origin } = statement;
    if (proof === undefined) throw refused(statement, `it was relayed, and carries no signature of ${origin}`);
    const now = this.now();
    const age = now - proof.at;
    if (Math.abs(age) > this.maxDriftMs) {
      const when =
        age > 0 ? `${Math.round(age / 1000)} s ago` : `${Math.round(-age / 1000)} s ahead of this node's clock`;
      throw refused(
        statement,
        `it was signed ${when}, past the ${this.maxDriftMs / 1000} s allowed (max_clock_drift_ms)`,
      );
    }
    const key = this.certificates.keyOf(origin, proof.cert, now);
    if (typeof key === 'string') throw refused(statement, key);
    if (!verify('sha256', signedBytes(statement, proof.at, proof.nonce), key, proof.sig)) {
      throw refused(statement, `its signature is not ${origin}'s over this call`);
    }
    if (!this.nonces.take(origin, proof.nonce, proof.at + this.maxDriftMs, now)) {
      throw refused(statement, `it was already taken once (nonce ${proof.nonce}): a replay`);
    }
  }
}

function refused(statement: CallStatement, why: string): CortexError {
  return new CortexError('EACCES', `The call for ${statement.identity} was refused: ${why}.`);
}
