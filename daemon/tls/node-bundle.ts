import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { kindOf } from './certificate-kind.js';
import { issueCertificate, loadCa, tlsPaths } from './certificate-authority.js';
import { subjectField } from './subject-field.js';

/** The three files a node needs, and the only ones that leave the CA machine: never ca.key. */
export const BUNDLE_FILES = ['ca.crt', 'node.crt', 'node.key'] as const;

export interface BundleFiles {
  'ca.crt': string;
  'node.crt': string;
  'node.key': string;
}

/**
 * `ca issue node --out DIR`: issues a node certificate on the CA machine and
 * writes it with its key and the CA's certificate into DIR, for the new node's
 * config directory. An existing file with other content is kept unless `force`.
 */
export async function writeNodeBundle(
  configDir: string,
  options: { name: string; hosts: string[] },
  outDir: string,
  force: boolean,
): Promise<string[]> {
  await loadCa(configDir); // says so when this is not the CA machine
  const caPem = readFileSync(tlsPaths(configDir).caCert, 'utf8');
  refuseOverwrites(outDir, BUNDLE_FILES, force, { 'ca.crt': caPem });
  const issued = await issueCertificate(configDir, { commonName: options.name, kind: 'node', hosts: options.hosts });
  return writeBundle(outDir, { 'ca.crt': caPem, 'node.crt': issued.cert, 'node.key': issued.key });
}

/**
 * `ca install DIR`: checks that DIR holds a node certificate signed by its ca.crt,
 * with the key that goes with it, and copies the three files into the config
 * directory. Returns the node name the certificate was issued to.
 */
export function installNodeBundle(
  fromDir: string,
  configDir: string,
  force: boolean,
): { name: string; files: string[] } {
  const texts = {} as BundleFiles;
  for (const file of BUNDLE_FILES) {
    const path = join(fromDir, file);
    if (!existsSync(path)) {
      throw new CortexError(
        'ENOTFOUND',
        `${path} is missing: on the CA machine, cortex ca issue node --name NAME --out DIR writes ca.crt, node.crt and node.key.`,
      );
    }
    texts[file] = readFileSync(path, 'utf8');
  }
  const name = checkBundle(texts, fromDir);
  const ownCa = tlsPaths(configDir).caKey;
  if (existsSync(ownCa) && readFileSync(tlsPaths(configDir).caCert, 'utf8') !== texts['ca.crt']) {
    throw new CortexError(
      'ECONFLICT',
      `${configDir} holds another CA (ca.key): these certificates belong to a different mesh.`,
    );
  }
  refuseOverwrites(configDir, BUNDLE_FILES, force, texts);
  return { name, files: writeBundle(configDir, texts) };
}

/** The bundle's node name, once its certificate is a node certificate signed by its CA and its key matches. */
export function checkBundle(texts: BundleFiles, where: string): string {
  let ca: X509Certificate;
  let node: X509Certificate;
  try {
    ca = new X509Certificate(texts['ca.crt']);
    node = new X509Certificate(texts['node.crt']);
  } catch (error) {
    throw new CortexError('EINVAL', `The certificates in ${where} do not parse: ${(error as Error).message}.`);
  }
  if (!node.verify(ca.publicKey)) {
    throw new CortexError('EINVAL', `node.crt in ${where} was not signed by the ca.crt beside it.`);
  }
  const unit = subjectField(node.subject, 'OU');
  if (kindOf({ unit, usages: node.keyUsage }) !== 'node') {
    throw new CortexError(
      'EINVAL',
      `node.crt in ${where} is not a node certificate (cortex ca issue node issues one).`,
    );
  }
  let matches = false;
  try {
    matches = node.checkPrivateKey(createPrivateKey(texts['node.key']));
  } catch {
    // An unreadable key matches nothing.
  }
  if (!matches) throw new CortexError('EINVAL', `node.key in ${where} is not the key of node.crt.`);
  return subjectField(node.subject, 'CN') ?? '?';
}

function refuseOverwrites(dir: string, files: readonly string[], force: boolean, incoming: Partial<BundleFiles>): void {
  if (force) return;
  for (const file of files) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const same = incoming[file as keyof BundleFiles] === readFileSync(path, 'utf8');
    if (!same) throw new CortexError('EEXIST', `${path} exists already; --force replaces it.`);
  }
}

function writeBundle(dir: string, texts: BundleFiles): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return BUNDLE_FILES.map((file) => {
    const path = join(dir, file);
    // A new file, renamed over the old one: a replaced key is never readable with the old file's mode.
    writeFileAtomic(path, texts[file], file.endsWith('.key') ? 0o600 : 0o644);
    return path;
  });
}
