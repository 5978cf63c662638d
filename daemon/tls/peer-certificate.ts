import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { RefusalReason } from '../../src/protocol/mesh-types.js';
import { type CertificateKind, kindOf } from './certificate-kind.js';
import { normalizeSerial } from './issued-ledger.js';

/** A certificate that passed verification: the CA signed it, it is of the kind asked for, and it is not revoked. */
export interface VerifiedCertificate {
  /** Its CN: the node name, or the client's identity. */
  name: string;
  kind: CertificateKind;
  /** SHA-256, as openssl prints it (AB:CD:...). */
  fingerprint: string;
  serial: string;
  /** ms since the epoch */
  notAfter: number;
}

/**
 * Why a certificate is refused, in words the refused side is told: `message`
 * completes "X refused the link: ..." and ends with the reason's code.
 */
export interface CertificateRefusal {
  refused: true;
  reason: RefusalReason;
  code: string;
  message: string;
  /** What the certificate claimed, when there was one (its name is proven only if the CA signed it). */
  name: string | null;
  fingerprint: string | null;
  serial: string | null;
}

/** Node's code for a certificate that does not name the host dialled (its chain verified). */
const WRONG_HOST = 'ERR_TLS_CERT_ALTNAME_INVALID';

export interface RevocationCheck {
  isRevoked(serial: string): boolean;
}

/**
 * The one check of a certificate presented over TLS, on both listeners and when
 * dialling: the handshake's own verification (a chain to this mesh's CA, within
 * its validity), then the kind, then the revocation list, then (when dialling) a
 * name matching the address. Every TLS end runs with rejectUnauthorized off so
 * that the refusing side can say why (a `bye` on the mesh, an `error` to a
 * client) instead of hanging up.
 */
export function verifyPeerCertificate(
  socket: TLSSocket,
  kind: CertificateKind,
  revocations: RevocationCheck,
): VerifiedCertificate | CertificateRefusal {
  // Read once: Node builds the whole object (fingerprints, key) on every call.
  const certificate = socket.getPeerCertificate() as PeerCertificate | null;
  if (certificate === null || Object.keys(certificate).length === 0) {
    return refusal('no_certificate', 'NO_CERTIFICATE', 'it presented no certificate (NO_CERTIFICATE)', null);
  }
  const name = first(certificate.subject?.CN) ?? null;
  const whose = name === null ? 'its certificate' : `the certificate of ${name}`;
  // A wrong host name is found only once the chain verified: the certificate's other marks can be trusted.
  const code = socket.authorized ? undefined : String(socket.authorizationError ?? 'UNKNOWN');
  if (code !== undefined && code !== WRONG_HOST)
    return refusal(...verifyFailure(code, whose, kind, certificate), certificate);
  if (name === null) {
    return refusal(
      'bad_certificate',
      'NO_COMMON_NAME',
      'its certificate has no common name (CN) to identify it by (NO_COMMON_NAME)',
      certificate,
    );
  }
  const actual = kindOf({ unit: first(certificate.subject?.OU), usages: certificate.ext_key_usage });
  if (actual !== kind) {
    const what = actual === undefined ? 'neither a node nor a client certificate' : `a ${actual} certificate`;
    const wrong = kind === 'node' ? 'NOT_A_NODE_CERTIFICATE' : 'NOT_A_CLIENT_CERTIFICATE';
    return refusal(
      'wrong_kind',
      wrong,
      `${whose} is ${what}, not a ${kind} certificate (${wrong}): cortex ca issue ${kind} issues one`,
      certificate,
    );
  }
  if (revocations.isRevoked(certificate.serialNumber)) {
    return refusal(
      'revoked',
      'CERT_REVOKED',
      `${whose} (serial ${normalizeSerial(certificate.serialNumber)}) is revoked by the CA (CERT_REVOKED)`,
      certificate,
    );
  }
  if (code !== undefined) return refusal(...verifyFailure(code, whose, kind, certificate), certificate);
  return {
    name,
    kind,
    fingerprint: certificate.fingerprint256,
    serial: normalizeSerial(certificate.serialNumber),
    notAfter: Date.parse(certificate.valid_to),
  };
}

export function isRefusal(value: VerifiedCertificate | CertificateRefusal): value is CertificateRefusal {
  return 'refused' in value;
}

/** OpenSSL's verification codes, in words; the code stays at the end so it can be searched for. */
function verifyFailure(
  code: string,
  whose: string,
  kind: CertificateKind,
  certificate: PeerCertificate,
): [RefusalReason, string, string] {
  switch (code) {
    case 'INVALID_PURPOSE':
      // OpenSSL's own check of the extended key usages: a client certificate where a node's is due.
      return [
        'wrong_kind',
        code,
        `${whose} is not marked for a ${kind}'s use (${code}): cortex ca issue ${kind} issues one`,
      ];
    case 'CERT_HAS_EXPIRED':
      return ['expired', code, `${whose} expired on ${day(certificate.valid_to)} (${code})`];
    case 'CERT_NOT_YET_VALID':
      return ['not_yet_valid', code, `${whose} is not valid before ${day(certificate.valid_from)} (${code})`];
    case WRONG_HOST:
      return [
        'wrong_host',
        code,
        `${whose} does not name the address it was dialled at (${code}); issue it with that name or address (cortex ca issue node --host ...)`,
      ];
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_SIGNATURE_FAILURE':
      return ['unknown_ca', code, `${whose} is not from this mesh's CA (${code})`];
    default:
      return ['bad_certificate', code, `${whose} does not verify (${code})`];
  }
}

function refusal(
  reason: RefusalReason,
  code: string,
  message: string,
  certificate: PeerCertificate | null,
): CertificateRefusal {
  return {
    refused: true,
    reason,
    code,
    message,
    name: first(certificate?.subject?.CN) ?? null,
    fingerprint: certificate?.fingerprint256 ?? null,
    serial: certificate === null ? null : normalizeSerial(certificate.serialNumber),
  };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function day(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? text : new Date(time).toISOString().slice(0, 10);
}
