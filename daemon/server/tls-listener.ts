import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { peerOf } from '../../src/address.js';
import { CortexError } from '../../src/protocol/errors.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import { NOTIFICATION } from '../../src/protocol/messages.js';
import { IDENTITY_NAME } from '../../src/protocol/access-types.js';
import { ANONYMOUS, credentialIdentity, type Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { TlsFiles } from '../tls/node-tls-files.js';
import { isRefusal, type RevocationCheck, verifyPeerCertificate } from '../tls/peer-certificate.js';

/**
 * The remote listener: TLS only (a plain TCP client fails the handshake and is
 * dropped). A client proves itself with a certificate from this node's CA
 * (identity `cert:CN@NODE`, never a local user) or, failing that, with
 * `auth {token}` as its first call. A certificate that does not verify
 * (another CA, expired), a node certificate and a revoked one are refused with
 * a sentence saying why, then the connection is closed.
 */
export async function listenTls(
  address: { host: string; port: number },
  node: string,
  files: TlsFiles,
  log: Logger,
  revocations: RevocationCheck,
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
      const identity = certificateIdentity(socket, node, revocations);
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

function certificateIdentity(socket: TLSSocket, node: string, revocations: RevocationCheck): Identity | CortexError {
  const verified = verifyPeerCertificate(socket, 'client', revocations);
  // No certificate: the client may still authenticate with a token.
  if (isRefusal(verified) && verified.reason === 'no_certificate') return ANONYMOUS;
  if (isRefusal(verified)) return new CortexError('EACCES', `The client certificate was refused: ${verified.message}.`);
  if (!IDENTITY_NAME.test(verified.name)) {
    return new CortexError(
      'EACCES',
      `The client certificate's CN (${JSON.stringify(verified.name)}) cannot name an identity.`,
    );
  }
  return credentialIdentity('cert', verified.name, node);
}
