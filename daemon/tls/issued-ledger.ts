import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { CertificateKind } from './certificate-kind.js';

/** One certificate the CA issued, as `ca-issued.jsonl` remembers it (one JSON object a line). */
export interface IssuedCertificate {
  /** Lower-case hex, no leading zeros (see normalizeSerial). */
  serial: string;
  name: string;
  kind: CertificateKind;
  /** ms since the epoch */
  issued: number;
  not_after: number;
  fingerprint: string;
}

/**
 * What the CA has issued, kept beside ca.key on the CA machine: `ca revoke NAME`
 * finds the serials of NAME's certificates here. Append-only; a line that does
 * not parse (a torn write) is skipped.
 */
export function recordIssued(file: string, entry: IssuedCertificate): void {
  appendFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

export function readIssued(file: string): IssuedCertificate[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((text): IssuedCertificate[] => {
      if (text.trim() === '') return [];
      try {
        const entry = JSON.parse(text) as Partial<IssuedCertificate>;
        return typeof entry.serial === 'string' && typeof entry.name === 'string' ? [entry as IssuedCertificate] : [];
      } catch {
        return [];
      }
    });
}

/** Serial numbers as one spelling: Node prints them upper-case, @peculiar/x509 lower-case, some with leading zeros. */
export function normalizeSerial(serial: string): string {
  return serial
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+(?=.)/, '');
}
