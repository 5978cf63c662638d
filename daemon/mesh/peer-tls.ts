import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { checkServerIdentity, connect, createSecureContext, createServer, type Server, type TLSSocket } from 'node:tls';
import { parseAddress, peerOf } from '../../src/address.js';
import { CortexError } from '../../src/protocol/errors.js';
import { NOTIFICATION } from '../../src/protocol/messages.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import type { Logger } from '../logger.js';
import type { TlsFiles } from '../tls/node-tls-files.js';
import type { Bye } from './wire.js';

/** The server name a joining node asks for (see listenPeers). */
export const JOIN_SERVERNAME = 'join.cortex.invalid';

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
 * The peer listener: mutual TLS, where the peer must present a certificate. The
 * handshake completes whatever the certificate is (rejectUnauthorized off), and
 * `onPeer` decides (see PeerGate): a refused peer is told why in a `bye` instead
 * of finding the connection hung up.
 */
export async function listenPeers(
  address: string,
  files: TlsFiles,
  log: Logger,
  onPeer: (socket: TLSSocket) => void,
): Promise<{ server: Server; address: string }> {
  const { host, port } = parseAddress(address);
  const credentials = readCredentials(files);
  // A node joining with a token asks for this name, and gets the CA's certificate after the node's to
  // check against its token; peers, which have the CA, are spared the longer handshake.
  const withCa = createSecureContext({
    ...credentials,
    cert: Buffer.concat([credentials.cert, Buffer.from('\n'), credentials.ca]),
  });
  const server = createServer(
    {
      ...credentials,
      SNICallback: (servername, done) => done(null, servername === JOIN_SERVERNAME ? withCa : undefined),
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      handshakeTimeout: HANDSHAKE_MS,
    },
    onPeer,
  );
  server.on('tlsClientError', (error, socket) => {
    log.warn(`mesh: ${peerOf(socket)} failed the TLS handshake: ${error.message.trim()}`);
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
 * Dials a peer's listener with this node's certificate. The handshake's own
 * verification (the CA, the validity, and, with `checkHost`, that the certificate
 * names the host dialled) is left for the caller to read off the socket
 * (`authorized`): a peer already pinned by certificate is redialled at whatever
 * address it last gave, where the pin proves more than a host name would.
 */
export function dialPeer(address: string, files: TlsFiles, options: { checkHost: boolean }): Promise<TLSSocket> {
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
      rejectUnauthorized: false,
      checkServerIdentity: options.checkHost ? checkServerIdentity : () => undefined,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CortexError('ETIMEDOUT', `No TLS answer from ${address} within ${HANDSHAKE_MS} ms.`));
    }, HANDSHAKE_MS);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new CortexError(
          error.code === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'EACCES',
          `Could not link with ${address}: ${error.message}.`,
        ),
      );
    });
  });
}

/** Tells a peer why it is refused, before anything else is exchanged, then closes. */
export function refuseSocket(socket: TLSSocket, bye: Bye): void {
  socket.on('error', () => undefined);
  socket.end(encode([NOTIFICATION, 'bye', bye]));
  // A peer that never reads must not hold the socket open.
  setTimeout(() => socket.destroy(), 2000).unref();
}
