import { type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { kindOf } from '../tls/certificate-kind.js';
import { normalizeSerial } from '../tls/issued-ledger.js';
import { subjectField } from '../tls/subject-field.js';
import type { RevocationCheck, VerifiedCertificate } from '../tls/peer-certificate.js';

/** A node certificate found good for its node: its key checks the node's signatures. */
interface Verified {
  der: Buffer;
  key: KeyObject;
  serial: string;
  notBefore: number;
  notAfter: number;
}

export interface OriginCertificateContext {
  /** This mesh's CA certificate file, read when a certificate not seen before is to be checked. */
  caCert: string;
  revocations: RevocationCheck;
  /** Why the certificate is not the one pinned for its node, if it is not (peer-gate.ts). */
  pinRefusal(certificate: VerifiedCertificate): string | undefined;
}

/**
 * The certificate a signed call carries of the node it started on, checked as
 * a link's certificate is (peer-gate.ts): signed by this mesh's CA, within its
 * validity, a node certificate, issued to exactly that node, not revoked, and
 * the one pinned for the node if one is. The chain is checked once per node and
 * certificate (the node's last one is kept); validity and revocation on every
 * call, since either changes with time.
 */
export class OriginCertificates {
  private readonly verified = new Map<string, Verified>();

  constructor(private readonly ctx: OriginCertificateContext) {}

  /** The key that signs `node`'s calls, or why the certificate `der` does not vouch for it. */
  keyOf(node: string, der: Uint8Array, now: number): KeyObject | string {
    let known = this.verified.get(node);
    if (known === undefined || !known.der.equals(der)) {
      const checked = this.check(node, der, now);
      if (typeof checked === 'string') return checked;
      known = checked;
      this.verified.set(node, known);
    }
    if (this.ctx.revocations.isRevoked(known.serial))
      return `${node}'s certificate (serial ${known.serial}) is revoked`;
    if (now < known.notBefore || now > known.notAfter) return `${node}'s certificate is not valid now`;
    return known.key;
  }

  private check(node: string, der: Uint8Array, now: number): Verified | string {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch {
      return `what it carries as ${node}'s certificate is no certificate`;
    }
    const ca = new X509Certificate(readFileSync(this.ctx.caCert));
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return `${node}'s certificate is not from this mesh's CA`;
    if (kindOf({ unit: subjectField(cert.subject, 'OU'), usages: cert.keyUsage }) !== 'node') {
      return `the certificate it carries for ${node} is not a node certificate`;
    }
    const name = subjectField(cert.subject, 'CN');
    if (name !== node) return `the certificate it carries for ${node} was issued to ${name ?? 'no name'}`;
    const notAfter = Date.parse(cert.validTo);
    const verified: Verified = {
      der: Buffer.from(der),
      key: cert.publicKey,
      serial: normalizeSerial(cert.serialNumber),
      notBefore: Date.parse(cert.validFrom),
      notAfter,
    };
    const pinned = this.ctx.pinRefusal({
      name,
      kind: 'node',
      fingerprint: cert.fingerprint256,
      serial: verified.serial,
      notAfter,
    });
    if (pinned !== undefined) return pinned;
    if (now < verified.notBefore || now > notAfter) return `${node}'s certificate is not valid now`;
    return verified;
  }
}
