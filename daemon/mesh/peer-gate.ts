import type { TLSSocket } from 'node:tls';
import type { PeerRefusal, RefusalReason } from '../../src/protocol/mesh-types.js';
import type { Logger } from '../logger.js';
import {
  type CertificateRefusal,
  isRefusal,
  type VerifiedCertificate,
  verifyPeerCertificate,
} from '../tls/peer-certificate.js';
import type { Revocations } from '../tls/revocations.js';
import type { MeshEvents } from './mesh-events.js';
import type { PeerPins, Pin } from './peer-pins.js';
import { refuseSocket } from './peer-tls.js';

/** Reasons whose certificate the CA did sign, so its name can be trusted enough to report it under. */
const NAMED: ReadonlySet<RefusalReason> = new Set(['revoked', 'pinned_mismatch', 'expired', 'not_yet_valid']);

/**
 * Who may link: every peer's certificate is checked here, on the listener and
 * when dialling, before a word of the peer protocol is exchanged: the CA, the
 * validity, the kind (a node certificate), the revocation list, and the pin of
 * its name. A refusal is logged, sent to `mesh:events` as `peer_refused`, kept
 * for `cluster` under the node's name, and told to the peer in a `bye` that
 * names the reason.
 */
export class PeerGate {
  private readonly refusals = new Map<string, PeerRefusal>();

  constructor(
    private readonly me: string,
    private readonly pins: PeerPins,
    private readonly revocations: Revocations,
    private readonly log: Logger,
    private readonly events: MeshEvents,
  ) {}

  /** The peer's verified certificate, or the refusal it was told of before its socket was closed. */
  check(socket: TLSSocket, address: string): VerifiedCertificate | CertificateRefusal {
    const verified = this.verify(socket);
    if (isRefusal(verified)) this.refuse(socket, verified, address);
    return verified;
  }

  /** The peer's verified certificate, or why it would be refused (nothing is said or done yet). */
  verify(socket: TLSSocket): VerifiedCertificate | CertificateRefusal {
    const verified = verifyPeerCertificate(socket, 'node', this.revocations);
    return isRefusal(verified) ? verified : (this.mismatchOf(verified) ?? verified);
  }

  /**
   * At the end of the hello, the pin decides for good (two certificates of one
   * name may pass `check` at once): the first link pins, a renewal re-pins.
   */
  pinOnLink(certificate: VerifiedCertificate): CertificateRefusal | undefined {
    const { name } = certificate;
    const verdict = this.pins.compare(name, certificate, this.revocations);
    if (verdict.kind === 'mismatch') return this.mismatch(certificate, verdict.pin);
    if (verdict.kind === 'first') {
      this.pins.pin(name, certificate);
      this.log.info(`mesh: pinned ${name}'s certificate ${certificate.fingerprint}`);
    } else if (verdict.kind === 'renewal') {
      this.pins.pin(name, certificate);
      this.log.warn(
        `mesh: ${name} has a new certificate ${certificate.fingerprint}; its pinned one (${verdict.old.fingerprint}) ${verdict.because === 'revoked' ? 'was revoked' : 'expired'}, so the new one is pinned now`,
      );
    }
    this.refusals.delete(name);
    return undefined;
  }

  /** Refuses a certificate: logged, reported, kept for `cluster`, and the peer told why before the socket closes. */
  refuse(socket: TLSSocket, refusal: CertificateRefusal, address: string): void {
    this.report(refusal, address);
    refuseSocket(socket, { code: 'EACCES', message: `${this.me} refused the link: ${refusal.message}` });
  }

  /** Logs and reports a refusal (a link cut for it is closed by its session). */
  report(refusal: CertificateRefusal, address: string): PeerRefusal {
    const named = NAMED.has(refusal.reason) && refusal.name !== null ? refusal.name : undefined;
    const record: PeerRefusal = {
      reason: refusal.reason,
      code: refusal.code,
      message: refusal.message,
      fingerprint: refusal.fingerprint,
      serial: refusal.serial,
      address,
      time: Date.now(),
    };
    if (named !== undefined) this.refusals.set(named, record);
    const who = named ?? (refusal.name === null ? address : `${address} (calling itself ${refusal.name})`);
    this.log.warn(`mesh: refused ${who}: ${refusal.message}`);
    this.events.emit({ type: 'peer_refused', peer: named ?? address, message: refusal.message, data: record });
    return record;
  }

  /** A linked node whose certificate a new revocation list revokes: reported, for its link to be cut. */
  revoked(certificate: VerifiedCertificate, address: string): CertificateRefusal {
    const refusal: CertificateRefusal = {
      refused: true,
      reason: 'revoked',
      code: 'CERT_REVOKED',
      message: `the certificate of ${certificate.name} (serial ${certificate.serial}) is revoked by the CA (CERT_REVOKED)`,
      name: certificate.name,
      fingerprint: certificate.fingerprint,
      serial: certificate.serial,
    };
    this.report(refusal, address);
    return refusal;
  }

  /** The last refusal under a node's name since it last linked. */
  refusalOf(node: string): PeerRefusal | null {
    return this.refusals.get(node) ?? null;
  }

  /** Names refused that this node may not otherwise know (a revoked node, an impostor of a forgotten one). */
  refusedNames(): string[] {
    return [...this.refusals.keys()];
  }

  /** Why a certificate of `certificate.name` is not the one pinned for that name, if it is not. */
  pinRefusal(certificate: VerifiedCertificate): string | undefined {
    return this.mismatchOf(certificate)?.message;
  }

  pinOf(node: string): string | null {
    return this.pins.get(node)?.fingerprint ?? null;
  }

  forget(node: string): boolean {
    const had = this.refusals.delete(node);
    return this.pins.forget(node) || had;
  }

  private mismatchOf(certificate: VerifiedCertificate): CertificateRefusal | undefined {
    const verdict = this.pins.compare(certificate.name, certificate, this.revocations);
    return verdict.kind === 'mismatch' ? this.mismatch(certificate, verdict.pin) : undefined;
  }

  private mismatch(certificate: VerifiedCertificate, pin: Pin): CertificateRefusal {
    const { name } = certificate;
    return {
      refused: true,
      reason: 'pinned_mismatch',
      code: 'PINNED_MISMATCH',
      message: `the certificate of ${name} (${certificate.fingerprint}) is not the one ${this.me} pinned for ${name} (${pin.fingerprint}) (PINNED_MISMATCH); if ${name}'s certificate was renewed, revoke the old one on the CA machine (cortex ca revoke --serial ${pin.serial}) or run cortex cluster forget ${name} on ${this.me}`,
      name,
      fingerprint: certificate.fingerprint,
      serial: certificate.serial,
    };
  }
}
