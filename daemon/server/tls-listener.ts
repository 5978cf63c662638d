import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { peerOf } from '../../src/address.js';
import { CortexError } from '../../src/protocol/errors.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { NOTIFICATION } from '../../src/protocol/messages.js';
import { ANONYMOUS, type Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';

import type { TlsFiles } from '../tls/node-tls-files.js';

/**
 * The remote listener: TLS only (a plain TCP client fails the handshake and is
 * dropped). A client proves itself with a certificate from this node's CA
 * (identity = its CN) or, failing that, with `auth {token}` as its first call.
 * A certificate that does not verify (another CA, expired) is refused with a
 * sentence saying why, then the connection is closed.
 */
export async function listenTls(
  address: { host: string; port: number },
  files: TlsFiles,
  log: Logger,
  onSocket: (socket: TLSSocket, identity: Identity) => void,
): Promise<Server> {
  const server = createServer(
    {
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
      ca: readFileSync(files.ca),
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      handshakeTimeout: 10_000,
    },
    (socket) => {
      const identity = certificateIdentity(socket);
      if (identity instanceof CortexError) {
        log.warn(`tls client ${peerOf(socket)} refused: ${identity.message}`);
        socket.end(encode([NOTIFICATION, 'error', identity.toWire()]));
        return;
      }
      onSocket(socket, identity);
    },
  );
  server.on('tlsClientError', (error, socket) => {
    log.debug(`tls handshake with ${peerOf(socket)} failed: ${error.message}`);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function certificateIdentity(socket: TLSSocket): Identity | CortexError {
  const certificate = socket.getPeerCertificate();
  const presented = certificate !== null && Object.keys(certificate).length > 0;
  if (!presented) return ANONYMOUS;
  if (!socket.authorized) {
    return new CortexError('EACCES', `The client certificate was refused: ${String(socket.authorizationError)}.`);
  }
  const commonName = certificate.subject?.CN;
  const name = Array.isArray(commonName) ? commonName[0] : commonName;
  if (!name) return new CortexError('EACCES', 'The client certificate has no common name (CN) to identify it by.');
  return { name, via: 'certificate', admin: false };
}
