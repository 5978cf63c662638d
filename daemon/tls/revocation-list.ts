import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CortexError } from '../../src/protocol/errors.js';
import { ALGORITHM, type LoadedCa } from './certificate-authority.js';
import { parseSignedCrl } from './crl-der.js';

/** The CRL number extension (RFC 5280, 5.2.3): lists are cumulative, and the higher number is the newer. */
const CRL_NUMBER = '2.5.29.20';
/** A list larger than this is not a list this CA signed (about 25,000 revoked certificates). */
const MAX_LIST_BYTES = 1 << 20;

/**
 * A revocation list as the whole mesh shares it: a standard X.509 CRL signed by
 * the CA (`openssl crl -inform DER -text` reads it), checked against ca.crt
 * wherever it arrives, so no node can forge or shorten one.
 */
export interface RevocationList {
  number: number;
  /** When the CA signed it (ms since the epoch). */
  issued: number;
  /** Revoked serial numbers, normalized, with when each was revoked. */
  entries: readonly RevokedEntry[];
  serials: ReadonlySet<string>;
  der: Uint8Array;
}

export interface RevokedEntry {
  serial: string;
  /** ms since the epoch */
  revoked: number;
}

/** Signs a list of every revoked serial with the CA's key. */
export async function signRevocationList(ca: LoadedCa, number: number, entries: RevokedEntry[]): Promise<Uint8Array> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subject,
    thisUpdate: new Date(),
    // RFC 5280 asks for one; lists are replaced by number, so the CA's own end will do.
    nextUpdate: ca.cert.notAfter,
    signingAlgorithm: ALGORITHM,
    signingKey: ca.key,
    extensions: [new x509.Extension(CRL_NUMBER, false, derInteger(number))],
    entries: entries.map((entry) => ({ serialNumber: entry.serial, revocationDate: new Date(entry.revoked) })),
  });
  return new Uint8Array(crl.rawData);
}

/** Reads a list and checks it was signed by the CA whose certificate is `caPem`; throws EINVAL when it was not. */
export function readRevocationList(der: Uint8Array, caPem: string): RevocationList {
  if (der.byteLength > MAX_LIST_BYTES) throw invalid(`it is over ${MAX_LIST_BYTES} bytes`);
  let caKey;
  try {
    caKey = new X509Certificate(caPem).publicKey;
  } catch (error) {
    throw invalid(`the CA certificate does not parse (${(error as Error).message})`);
  }
  const parsed = parseSignedCrl(der, caKey);
  return {
    number: parsed.number,
    issued: parsed.issued,
    entries: parsed.entries,
    serials: new Set(parsed.entries.map((entry) => entry.serial)),
    der,
  };
}

function invalid(why: string): CortexError {
  return new CortexError('EINVAL', `The revocation list was refused: ${why}.`);
}

/** A non-negative integer as DER (tag 2, minimal big-endian bytes, a leading 0 when the top bit is set). */
function derInteger(value: number): ArrayBuffer {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if (bytes[0]! >= 0x80) bytes.unshift(0);
  return new Uint8Array([0x02, bytes.length, ...bytes]).buffer;
}
