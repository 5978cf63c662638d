import * as x509 from '@peculiar/x509';
import { CortexError } from '../../src/protocol/errors.js';
import { ALGORITHM, type LoadedCa } from './certificate-authority.js';
import { normalizeSerial } from './issued-ledger.js';

/** The CRL number extension (RFC 5280, 5.2.3): lists are cumulative, and the higher number is the newer. */
const CRL_NUMBER = '2.5.29.20';
/** A list larger than this is not a list this CA signed. */
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
  /** Revoked serial numbers, normalized. */
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
    // The CA's own end: lists are replaced by number, not by date. (@peculiar/x509 also reads no
    // entries from a list without a nextUpdate, which is why readRevocationList refuses one.)
    nextUpdate: ca.cert.notAfter,
    signingAlgorithm: ALGORITHM,
    signingKey: ca.key,
    extensions: [new x509.Extension(CRL_NUMBER, false, derInteger(number))],
    entries: entries.map((entry) => ({ serialNumber: entry.serial, revocationDate: new Date(entry.revoked) })),
  });
  return new Uint8Array(crl.rawData);
}

/** Reads a list and checks it was signed by the CA whose certificate is `caPem`; throws EINVAL when it was not. */
export async function readRevocationList(der: Uint8Array, caPem: string): Promise<RevocationList> {
  if (der.byteLength > MAX_LIST_BYTES) throw invalid(`it is over ${MAX_LIST_BYTES} bytes`);
  let crl: x509.X509Crl;
  let ca: x509.X509Certificate;
  try {
    crl = new x509.X509Crl(new Uint8Array(der));
    ca = new x509.X509Certificate(caPem);
  } catch (error) {
    throw invalid(`it does not parse (${(error as Error).message})`);
  }
  if (crl.issuer !== ca.subject) throw invalid(`it was issued by ${crl.issuer}, not by this mesh's CA`);
  if (!(await crl.verify({ publicKey: ca }))) throw invalid("its signature is not this mesh's CA's");
  if (crl.nextUpdate === undefined) throw invalid('it has no nextUpdate');
  const extension = crl.getExtension(CRL_NUMBER);
  const number = extension === null ? undefined : readDerInteger(new Uint8Array(extension.value));
  if (number === undefined) throw invalid('it has no CRL number');
  return {
    number,
    issued: crl.thisUpdate.getTime(),
    serials: new Set(crl.entries.map((entry) => normalizeSerial(entry.serialNumber))),
    der,
  };
}

/** The entries of a list, with their revocation dates, for signing a longer one. */
export function entriesOf(list: RevocationList): RevokedEntry[] {
  const crl = new x509.X509Crl(new Uint8Array(list.der));
  return crl.entries.map((entry) => ({
    serial: normalizeSerial(entry.serialNumber),
    revoked: entry.revocationDate.getTime(),
  }));
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

function readDerInteger(der: Uint8Array): number | undefined {
  if (der.length < 3 || der[0] !== 0x02 || der[1] !== der.length - 2 || der[1] > 7) return undefined;
  let value = 0;
  for (const byte of der.subarray(2)) value = value * 256 + byte;
  return value;
}
