import { type KeyObject, verify } from 'node:crypto';
import { CortexError } from '../../src/protocol/errors.js';

/**
 * Reads a CRL (RFC 5280, 5.1) as this CA signs them, straight from its DER: the
 * signature is checked first, with Node's own crypto, over the exact bytes of
 * the signed part, and only then is that part read. A general ASN.1 library took
 * 200 ms for a list of 1,000 serials, on the daemon's event loop; this takes a
 * millisecond or two.
 */
export interface ParsedCrl {
  number: number;
  /** thisUpdate, ms since the epoch */
  issued: number;
  entries: { serial: string; revoked: number }[];
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const OID = 0x06;
const BOOLEAN = 0x01;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const EXTENSIONS = 0xa0;
/** ecdsa-with-SHA256 (1.2.840.10045.4.3.2), the only signature this CA makes. */
const ECDSA_SHA256 = Buffer.from('06082a8648ce3d040302', 'hex');
/** id-ce-cRLNumber (2.5.29.20). */
const CRL_NUMBER = Buffer.from('551d14', 'hex');

interface Tlv {
  tag: number;
  /** Where the element starts (its tag byte), and where its content starts and ends. */
  at: number;
  start: number;
  end: number;
}

export function parseSignedCrl(der: Uint8Array, caKey: KeyObject): ParsedCrl {
  const bytes = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const outer = expect(bytes, 0, bytes.length, SEQUENCE, 'the list');
  if (outer.end !== bytes.length) throw bad('bytes follow the list');
  const tbs = expect(bytes, outer.start, outer.end, SEQUENCE, 'the signed part');
  const algorithm = expect(bytes, tbs.end, outer.end, SEQUENCE, 'the signature algorithm');
  if (!bytes.subarray(algorithm.start, algorithm.end).subarray(0, ECDSA_SHA256.length).equals(ECDSA_SHA256)) {
    throw bad('it is not signed with ECDSA and SHA-256');
  }
  const signature = expect(bytes, algorithm.end, outer.end, BIT_STRING, 'the signature');
  if (bytes[signature.start] !== 0) throw bad('the signature is not whole bytes');
  const signed = bytes.subarray(tbs.at, tbs.end);
  if (!verify('sha256', signed, caKey, bytes.subarray(signature.start + 1, signature.end))) {
    throw new CortexError('EINVAL', "The revocation list was refused: its signature is not this mesh's CA's.");
  }
  return readSignedPart(bytes, tbs);
}

function readSignedPart(bytes: Buffer, tbs: Tlv): ParsedCrl {
  // [version,] signature algorithm, issuer (the signature already proved who issued it), thisUpdate, ...
  let item = read(bytes, tbs.start, tbs.end);
  if (item.tag === INTEGER) item = read(bytes, item.end, tbs.end);
  if (item.tag !== SEQUENCE) throw bad('no signature algorithm in the signed part');
  const issuer = expect(bytes, item.end, tbs.end, SEQUENCE, 'the issuer');
  const thisUpdate = read(bytes, issuer.end, tbs.end);
  const issued = time(bytes, thisUpdate);
  let at = thisUpdate.end;
  const entries: ParsedCrl['entries'] = [];
  let number: number | undefined;
  while (at < tbs.end) {
    item = read(bytes, at, tbs.end);
    at = item.end;
    // nextUpdate is not used: lists are replaced by number.
    if (item.tag === UTC_TIME || item.tag === GENERALIZED_TIME) continue;
    if (item.tag === SEQUENCE) entries.push(...revoked(bytes, item));
    else if (item.tag === EXTENSIONS) number = crlNumber(bytes, item);
    else throw bad(`an unexpected element (tag ${item.tag})`);
  }
  if (number === undefined) throw bad('it has no CRL number');
  return { number, issued, entries };
}

function revoked(bytes: Buffer, list: Tlv): ParsedCrl['entries'] {
  const entries: ParsedCrl['entries'] = [];
  for (let at = list.start; at < list.end;) {
    const entry = expect(bytes, at, list.end, SEQUENCE, 'a revoked certificate');
    const serial = expect(bytes, entry.start, entry.end, INTEGER, 'a serial number');
    const date = read(bytes, serial.end, entry.end);
    // Hex from bytes is lower-case already: only the leading zeros differ from normalizeSerial's spelling.
    let first = serial.start;
    while (first < serial.end - 1 && bytes[first] === 0) first++;
    const hex = bytes.toString('hex', first, serial.end);
    entries.push({ serial: hex.length > 1 && hex[0] === '0' ? hex.slice(1) : hex, revoked: time(bytes, date) });
    at = entry.end;
  }
  return entries;
}

function crlNumber(bytes: Buffer, extensions: Tlv): number | undefined {
  const list = expect(bytes, extensions.start, extensions.end, SEQUENCE, 'the extensions');
  for (let at = list.start; at < list.end;) {
    const extension = expect(bytes, at, list.end, SEQUENCE, 'an extension');
    at = extension.end;
    const id = expect(bytes, extension.start, extension.end, OID, "an extension's id");
    if (!bytes.subarray(id.start, id.end).equals(CRL_NUMBER)) continue;
    let value = read(bytes, id.end, extension.end);
    if (value.tag === BOOLEAN) value = read(bytes, value.end, extension.end);
    if (value.tag !== OCTET_STRING) throw bad('the CRL number is not an octet string');
    const integer = expect(bytes, value.start, value.end, INTEGER, 'the CRL number');
    const length = integer.end - integer.start;
    if (length < 1 || length > 6) throw bad('the CRL number is out of range');
    return bytes.readUIntBE(integer.start, length);
  }
  return undefined;
}

/** A UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), read digit by digit: one per entry. */
function time(bytes: Buffer, item: Tlv): number {
  const yearDigits = item.tag === UTC_TIME ? 2 : item.tag === GENERALIZED_TIME ? 4 : 0;
  if (yearDigits === 0 || item.end - item.start !== yearDigits + 11 || bytes[item.end - 1] !== 0x5a) {
    throw bad('a date does not parse');
  }
  let at = item.start;
  const digits = (count: number) => {
    let value = 0;
    for (const end = at + count; at < end; at++) {
      const digit = bytes[at]! - 0x30;
      if (digit < 0 || digit > 9) throw bad('a date does not parse');
      value = value * 10 + digit;
    }
    return value;
  };
  const year = digits(yearDigits);
  // RFC 5280: a two-digit year below 50 is 20YY.
  const fullYear = yearDigits === 2 ? (year < 50 ? 2000 + year : 1900 + year) : year;
  return Date.UTC(fullYear, digits(2) - 1, digits(2), digits(2), digits(2), digits(2));
}

function expect(bytes: Buffer, at: number, limit: number, tag: number, what: string): Tlv {
  const item = read(bytes, at, limit);
  if (item.tag !== tag) throw bad(`${what} is not where it should be`);
  return item;
}

/** One DER element at `at`, which must end by `limit`. */
function read(bytes: Buffer, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw bad('it is cut short');
  const tag = bytes[at]!;
  let length = bytes[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const size = length & 0x7f;
    if (size < 1 || size > 4 || start + size > limit) throw bad('a length does not parse');
    length = bytes.readUIntBE(start, size);
    start += size;
  }
  const end = start + length;
  if (end > limit) throw bad('an element runs past its end');
  return { tag, at, start, end };
}

function bad(why: string): CortexError {
  return new CortexError('EINVAL', `The revocation list was refused: ${why}.`);
}
