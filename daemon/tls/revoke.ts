import { existsSync, readFileSync } from 'node:fs';
import { CortexError } from '../../src/protocol/errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { loadCa, tlsPaths } from './certificate-authority.js';
import { normalizeSerial, readIssued } from './issued-ledger.js';
import { readRevocationList, type RevocationList, type RevokedEntry, signRevocationList } from './revocation-list.js';
import { savedListPath } from './revocations.js';

export interface RevokeResult {
  list: RevocationList;
  /** The serials this call added, with the names the CA issued them to (when it knows). */
  revoked: { serial: string; name: string | null }[];
  file: string;
}

/**
 * `cortex ca revoke`, on the CA machine: signs a new revocation list holding every
 * serial revoked before plus NAME's certificates (all the CA issued to that name,
 * from its ledger) or one serial, numbered one past the newest list this machine
 * has seen, and writes it to ca.crl. The daemon takes it from there (see
 * Revocations) and the mesh carries it to every node.
 */
export async function revokeCertificates(
  configDir: string,
  dataDir: string,
  target: { name: string } | { serial: string },
): Promise<RevokeResult> {
  const ca = await loadCa(configDir);
  const caPem = ca.cert.toString('pem');
  const paths = tlsPaths(configDir);
  const known: RevocationList[] = [];
  for (const file of [paths.caCrl, savedListPath(dataDir)]) {
    if (!existsSync(file)) continue;
    try {
      known.push(readRevocationList(readFileSync(file), caPem));
    } catch (error) {
      throw new CortexError('EINVAL', `${file}: ${(error as Error).message}`);
    }
  }
  const entries = new Map<string, RevokedEntry>();
  for (const list of known) for (const entry of list.entries) entries.set(entry.serial, entry);
  const issued = readIssued(paths.caIssued);
  const chosen =
    'name' in target
      ? issued.filter((entry) => entry.name === target.name).map((entry) => normalizeSerial(entry.serial))
      : [normalizeSerial(target.serial)];
  if (chosen.length === 0) {
    throw new CortexError(
      'ENOTFOUND',
      `This CA has issued no certificate to ${'name' in target ? target.name : '?'} (see cortex ca list); a certificate issued elsewhere is revoked by its serial: cortex ca revoke --serial HEX.`,
    );
  }
  const fresh = [...new Set(chosen)].filter((serial) => !entries.has(serial));
  if (fresh.length === 0) {
    throw new CortexError(
      'EEXIST',
      `Every certificate of ${'name' in target ? target.name : target.serial} is revoked already.`,
    );
  }
  const now = Date.now();
  for (const serial of fresh) entries.set(serial, { serial, revoked: now });
  const number = Math.max(0, ...known.map((list) => list.number)) + 1;
  const der = await signRevocationList(ca, number, [...entries.values()]);
  writeFileAtomic(paths.caCrl, der);
  const names = new Map(issued.map((entry) => [normalizeSerial(entry.serial), entry.name]));
  return {
    list: readRevocationList(der, caPem),
    revoked: fresh.map((serial) => ({ serial, name: names.get(serial) ?? null })),
    file: paths.caCrl,
  };
}
