import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { CertificateStatus } from '../../src/protocol/mesh-types.js';
import type { RevocationCheck } from './peer-certificate.js';
import { subjectField } from './subject-field.js';

/** Within this many days of its end, a node's certificate is warned about. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** What `status` and `cluster` say of a certificate: its end, the days left, and a warning when due. */
export function certificateStatus(
  pem: string | Buffer,
  revocations: RevocationCheck,
  now = Date.now(),
): CertificateStatus {
  const cert = new X509Certificate(pem);
  const name = subjectField(cert.subject, 'CN') ?? '?';
  const notAfter = Date.parse(cert.validTo);
  const daysLeft = Math.floor((notAfter - now) / DAY_MS);
  const end = new Date(notAfter).toISOString().slice(0, 10);
  let warning: string | null = null;
  if (revocations.isRevoked(cert.serialNumber)) {
    warning = `this node's certificate (${name}) is revoked: peers refuse it; issue a new one on the CA machine`;
  } else if (notAfter <= now) {
    warning = `this node's certificate (${name}) expired on ${end}: peers refuse it; issue a new one on the CA machine`;
  } else if (daysLeft < EXPIRY_WARNING_DAYS) {
    warning = `this node's certificate (${name}) expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'}, on ${end}: issue a new one on the CA machine`;
  }
  return { name, not_after: notAfter, days_left: daysLeft, fingerprint: cert.fingerprint256, warning };
}

/**
 * The status of the certificate in `file`, read again only when the file
 * changes (it is asked on every `status` call); null while there is none.
 */
export function certificateWatcher(file: string, revocations: RevocationCheck): () => CertificateStatus | null {
  let cached: { mtimeMs: number; pem: Buffer } | undefined;
  return () => {
    if (!existsSync(file)) return null;
    const { mtimeMs } = statSync(file);
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, pem: readFileSync(file) };
    return certificateStatus(cached.pem, revocations);
  };
}
