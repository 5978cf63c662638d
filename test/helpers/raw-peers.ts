import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { tempDir } from './daemon.js';

/** A Unix socket server whose accepted sockets a test drives by hand, as the raw peer of an endpoint under test. */
export interface RawPeers {
  /** The socket's path; connect to it. */
  readonly path: string;
  /** The temporary directory the socket lives in. */
  readonly dir: string;
  /** Resolves with the peer of the next connection made to `path`: call it before connecting. */
  readonly nextPeer: () => Promise<Socket>;
}

/**
 * Registers, in the current describe block, a server on a temporary Unix socket
 * (started before its tests, closed after them with every socket it accepted
 * and its directory removed) and returns the way to reach it.
 */
export function rawPeers(prefix: string): RawPeers {
  const dir = tempDir(prefix);
  const path = join(dir.path, 'peer.sock');
  let server: Server;
  const accepted: Socket[] = [];
  const waiting: ((socket: Socket) => void)[] = [];

  before(async () => {
    server = createServer((socket) => {
      accepted.push(socket);
      waiting.shift()?.(socket);
    });
    server.listen(path);
    await once(server, 'listening');
  });

  after(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    dir.remove();
  });

  return { path, dir: dir.path, nextPeer: () => new Promise<Socket>((resolve) => waiting.push(resolve)) };
}
