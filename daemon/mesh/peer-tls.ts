import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type PeerCertificate, type Server, type TLSSocket } from 'node:tls';
import { parseAddress, peerOf } from '../../src/address.js';
import { CortexError } from '../../src/protocol/errors.js';
import type { Logger } from '../logger.js';
import type { TlsFiles } from '../tls/node-tls-files.js';

/** How long a TLS handshake with a peer may take. */
const HANDSHAKE_MS = 10_000;

interface Credentials {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

function readCredentials(files: TlsFiles): Credentials {
  return { cert: readFileSync(files.cert), key: readFileSync(files.key), ca: readFileSync(files.ca) };
}

/**
 * The peer listener: mutual TLS, where both sides present a node certificate from
 * the shared CA. A client without a certificate, or with one from another CA, fails
 * the handshake (`rejectUnauthorized`); a certificate from the right CA that is not
 * a node certificate (a client certificate, OU=client) is refused right after it.
 * `onPeer` receives the socket and the node name the certificate proves.
 */
export async function listenPeers(
  address: string,
  files: TlsFiles,
  log: Logger,
  onPeer: (socket: TLSSocket, node: string) => void,
): Promise<{ server: Server; address: string }> {
  const { host, port } = parseAddress(address);
  const server = createServer(
    {
      ...readCredentials(files),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      handshakeTimeout: HANDSHAKE_MS,
    },
    (socket) => {
      const node = nodeNameOf(socket.getPeerCertificate());
      if (node instanceof CortexError) {
        log.warn(`peer ${peerOf(socket)} refused: ${node.message}`);
        socket.destroy();
        return;
      }
      onPeer(socket, node);
    },
  );
  server.on('tlsClientError', (error, socket) => {
    log.warn(
      `peer ${peerOf(socket)} refused at the TLS handshake (a peer needs a node certificate from this mesh's CA): ${error.message.trim()}`,
    );
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return { server, address: `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` };
}

/**
 * Dials a peer's listener with this node's certificate and verifies the peer's
 * against the CA (and its host name or address against the certificate's names).
 * Resolves with the socket and the node name its certificate proves.
 */
export function dialPeer(address: string, files: TlsFiles): Promise<{ socket: TLSSocket; node: string }> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve, reject) => {
    let credentials: Credentials;
    try {
      credentials = readCredentials(files);
    } catch (error) {
      reject(new CortexError('ENOTFOUND', `Cannot read this node's certificate: ${(error as Error).message}.`));
      return;
    }
    const socket = connect({
      host,
      port,
      ...credentials,
      minVersion: 'TLSv1.2',
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CortexError('ETIMEDOUT', `No TLS answer from ${address} within ${HANDSHAKE_MS} ms.`));
    }, HANDSHAKE_MS);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const node = nodeNameOf(socket.getPeerCertificate());
      if (node instanceof CortexError) {
        socket.destroy();
        reject(node);
        return;
      }
      resolve({ socket, node });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new CortexError(
          error.code === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'EACCES',
          `Could not link with ${address}: ${error.message}${hint(error)}.`,
        ),
      );
    });
  });
}

function hint(error: NodeJS.ErrnoException): string {
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return ' (issue its node certificate with that name or address: cortex ca issue node --host ...)';
  }
  if (/certificate|verify/i.test(error.message)) return ' (are both nodes using certificates from the same CA?)';
  return '';
}

function nodeNameOf(certificate: PeerCertificate): string | CortexError {
  const subject = certificate.subject as Record<string, string | string[] | undefined> | undefined;
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  const unit = first(subject?.['OU']);
  const name = first(subject?.['CN']);
  if (unit !== 'node' || !name) {
    return new CortexError(
      'EACCES',
      `The certificate ${name ? `of ${name} ` : ''}is not a node certificate (cortex ca issue node issues one).`,
    );
  }
  return name;
}
