import { webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { parseAddress } from '../../src/address.js';
import { Client } from '../../src/client/client.js';
import { CortexError } from '../../src/protocol/errors.js';
import { isPlainMap } from '../../src/protocol/validate.js';
import { writeFileAtomic } from '../tls/atomic-file.js';
import { ALGORITHM, privateKeyPem, tlsPaths } from '../tls/certificate-authority.js';
import { kindOf } from '../tls/certificate-kind.js';
import { caFingerprintOf, parseJoinToken } from './join-token.js';
import { JOIN_SERVERNAME } from './peer-tls.js';
import { subjectField } from '../tls/subject-field.js';

const JOIN_MS = 15_000;

export interface JoinOptions {
  configDir: string;
  token: string;
  /** HOST:PORT of the inviting node's mesh listener. */
  address: string;
  /** This node's name: the certificate is issued to it. */
  node: string;
  /** Names and addresses this node answers on, for its certificate. */
  hosts: string[];
  force: boolean;
}

/**
 * The new node's side of `mesh join TOKEN HOST:PORT`: makes its key here, checks
 * that HOST:PORT is a node of the mesh the token names (by the CA's fingerprint
 * in the token, before the secret is sent), asks for a node certificate for its
 * public key, checks what comes back, and writes ca.crt, node.crt and node.key.
 * Returns the mesh's revocation list, when it has one.
 */
export async function joinMesh(options: JoinOptions): Promise<Uint8Array | null> {
  const { caFingerprint, secret } = parseJoinToken(options.token);
  const paths = tlsPaths(options.configDir);
  if (existsSync(paths.nodeCert) && !options.force) {
    throw new CortexError('EEXIST', `This node has a certificate already (${paths.nodeCert}); --force replaces it.`);
  }
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const publicKey = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const answer = await ask(options, caFingerprint, {
    secret,
    name: options.node,
    public_key: publicKey,
    hosts: options.hosts,
  });
  const ca = new X509Certificate(answer.ca);
  if (!caFingerprintOf(ca.raw).equals(caFingerprint)) throw wrongMesh(options.address);
  const cert = new X509Certificate(answer.cert);
  const issuedTo = subjectField(cert.subject, 'CN');
  const kind = kindOf({ unit: subjectField(cert.subject, 'OU'), usages: cert.keyUsage });
  const forThisKey = cert.publicKey.export({ type: 'spki', format: 'der' }).equals(publicKey);
  if (!cert.verify(ca.publicKey) || issuedTo !== options.node || kind !== 'node' || !forThisKey) {
    throw new CortexError('EPROTO', `${options.address} answered with a certificate that is not this node's.`);
  }
  if (existsSync(paths.caCert) && readFileSync(paths.caCert, 'utf8') !== answer.ca && !options.force) {
    throw new CortexError('EEXIST', `${paths.caCert} holds another CA; --force replaces it.`);
  }
  mkdirSync(options.configDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(paths.nodeKey, await privateKeyPem(keys.privateKey), 0o600);
  writeFileAtomic(paths.nodeCert, answer.cert);
  writeFileAtomic(paths.caCert, answer.ca);
  return answer.crl;
}

interface JoinAnswer {
  cert: string;
  ca: string;
  crl: Uint8Array | null;
}

/** Connects without a certificate, checks the listener belongs to the token's mesh, and sends the request. */
async function ask(options: JoinOptions, caFingerprint: Buffer, request: Record<string, unknown>): Promise<JoinAnswer> {
  const { host, port } = parseAddress(options.address);
  const socket = connect({ host, port, servername: JOIN_SERVERNAME, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new CortexError('ETIMEDOUT', `No TLS answer from ${options.address}.`)),
        JOIN_MS,
      );
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(new CortexError('ECONNREFUSED', `Could not reach ${options.address}: ${error.message}.`));
      });
    });
    if (!isNodeOfMesh(socket.getPeerCertificate(true), caFingerprint)) throw wrongMesh(options.address);
    const client = new Client(socket, { callTimeoutMs: JOIN_MS });
    // A node that takes no joins (it does not hold the CA) refuses as it refuses any peer without a certificate.
    let bye: string | undefined;
    client.onNotification((method, params) => {
      if (method === 'bye' && isPlainMap(params) && typeof params['message'] === 'string') bye = params['message'];
    });
    const answer = (await client.request('join', request).catch((error: unknown) => {
      throw bye === undefined ? error : new CortexError('EACCES', `${options.address} takes no joins: ${bye}.`);
    })) as Partial<JoinAnswer> | null;
    if (typeof answer?.cert !== 'string' || typeof answer.ca !== 'string') {
      throw new CortexError('EPROTO', `${options.address} did not answer the join with a certificate.`);
    }
    return { cert: answer.cert, ca: answer.ca, crl: answer.crl instanceof Uint8Array ? answer.crl : null };
  } finally {
    socket.destroy();
  }
}

/** The listener sent its node certificate with the CA's: the CA must be the token's, and must have signed it. */
function isNodeOfMesh(leaf: DetailedPeerCertificate, caFingerprint: Buffer): boolean {
  const issuer = leaf.issuerCertificate as DetailedPeerCertificate | undefined;
  if (issuer === undefined || issuer.raw === undefined || !caFingerprintOf(issuer.raw).equals(caFingerprint))
    return false;
  const node = new X509Certificate(leaf.raw);
  return (
    node.verify(new X509Certificate(issuer.raw).publicKey) &&
    kindOf({ unit: first(leaf.subject.OU), usages: leaf.ext_key_usage }) === 'node'
  );
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function wrongMesh(address: string): CortexError {
  return new CortexError(
    'EACCES',
    `${address} is not a node of the mesh this invitation is for (its CA is not the one in the token); nothing was sent to it.`,
  );
}
