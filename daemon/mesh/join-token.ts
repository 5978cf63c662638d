import { createHash } from 'node:crypto';
import { CortexError } from '../../src/protocol/errors.js';

const PREFIX = 'cjt1';

/**
 * A join token, `cjt1.CA.SECRET`: the SHA-256 of the mesh CA's certificate (so
 * the new node can tell the inviting node from anyone else before it says a
 * word) and the invitation's one-time secret. Both base64url.
 */
export interface JoinToken {
  caFingerprint: Buffer;
  secret: string;
}

export function formatJoinToken(caDer: Buffer, secret: string): string {
  return `${PREFIX}.${createHash('sha256').update(caDer).digest('base64url')}.${secret}`;
}

export function parseJoinToken(token: string): JoinToken {
  const [prefix, ca, secret, ...rest] = token.split('.');
  const caFingerprint = Buffer.from(ca ?? '', 'base64url');
  if (
    prefix !== PREFIX ||
    rest.length > 0 ||
    caFingerprint.length !== 32 ||
    !/^[A-Za-z0-9_-]{43}$/.test(secret ?? '')
  ) {
    throw new CortexError('EINVAL', 'That is not a join token (cortex mesh invite prints one: cjt1.…).');
  }
  return { caFingerprint, secret: secret! };
}

/** The SHA-256 of a certificate's DER, as the token carries it. */
export function caFingerprintOf(der: Buffer): Buffer {
  return createHash('sha256').update(der).digest();
}
