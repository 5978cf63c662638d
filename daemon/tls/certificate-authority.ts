import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { CortexError } from '../../src/protocol/errors.js';

// Node's webcrypto is the Web Crypto object @peculiar/x509 wants, but Node types it apart from the DOM's Crypto.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

/** Where the CA and the certificates it issued live, inside the config directory. */
export function tlsPaths(configDir: string) {
  return {
    caCert: join(configDir, 'ca.crt'),
    caKey: join(configDir, 'ca.key'),
    nodeCert: join(configDir, 'node.crt'),
    nodeKey: join(configDir, 'node.key'),
    clientCert: (name: string) => join(configDir, 'clients', `${name}.crt`),
    clientKey: (name: string) => join(configDir, 'clients', `${name}.key`),
  };
}

export interface IssuedFiles {
  cert: string;
  key: string;
}

/** Creates the node's certificate authority: an ECDSA P-256 key (0600) and a self-signed certificate. */
export async function initCa(configDir: string, options: { name?: string; days?: number } = {}): Promise<IssuedFiles> {
  const paths = tlsPaths(configDir);
  if (existsSync(paths.caKey)) {
    throw new CortexError('EEXIST', `A CA already exists in ${configDir}; remove ca.key and ca.crt to make a new one.`);
  }
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${options.name ?? 'Cortex CA'}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + (options.days ?? 3650) * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeKeyAndCert(paths.caKey, paths.caCert, keys.privateKey, cert);
  return { cert: paths.caCert, key: paths.caKey };
}

export interface IssueOptions {
  /** The certificate's CN: a node name, or a client's identity. */
  commonName: string;
  kind: 'node' | 'client';
  /** Host names and addresses a node answers on (node certificates). */
  hosts?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

/** Issues a certificate signed by the CA in `configDir`; returns the PEM texts. */
export async function issueCertificate(
  configDir: string,
  options: IssueOptions,
): Promise<{ cert: string; key: string }> {
  const paths = tlsPaths(configDir);
  if (!existsSync(paths.caKey)) {
    throw new CortexError(
      'ENOTFOUND',
      `There is no CA in ${configDir}; run cortex ca init first (or copy ca.crt and ca.key there).`,
    );
  }
  const caCert = new x509.X509Certificate(readFileSync(paths.caCert, 'utf8'));
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    pemBody(readFileSync(paths.caKey, 'utf8')),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const usages =
    options.kind === 'node'
      ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.clientAuth];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(usages),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (options.kind === 'node') {
    const names = [...new Set([options.commonName, 'localhost', '127.0.0.1', '::1', ...(options.hosts ?? [])])];
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value })),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.commonName}, OU=${options.kind}`,
    issuer: caCert.subject,
    notBefore: options.notBefore ?? new Date(now - DAY_MS),
    notAfter: options.notAfter ?? new Date(now + 825 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

/** Issues a certificate and writes it beside the CA (`node.crt` or `clients/NAME.crt`), keys 0600. */
export async function issueToFiles(configDir: string, options: IssueOptions): Promise<IssuedFiles> {
  const paths = tlsPaths(configDir);
  const files =
    options.kind === 'node'
      ? { cert: paths.nodeCert, key: paths.nodeKey }
      : { cert: paths.clientCert(options.commonName), key: paths.clientKey(options.commonName) };
  const issued = await issueCertificate(configDir, options);
  mkdirSync(join(files.cert, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(files.key, issued.key, { mode: 0o600 });
  writeFileSync(files.cert, issued.cert, { mode: 0o644 });
  return files;
}

async function writeKeyAndCert(keyPath: string, certPath: string, key: CryptoKey, cert: x509.X509Certificate) {
  mkdirSync(join(keyPath, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(keyPath, await privateKeyPem(key), { mode: 0o600 });
  writeFileSync(certPath, cert.toString('pem'), { mode: 0o644 });
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A positive 128-bit serial number, as hex. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}
