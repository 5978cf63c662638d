import { mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';

/**
 * Listens on a Unix socket that only its owner may use (mode 0600 in a 0700
 * directory). A socket file left behind by a killed daemon is removed; one that
 * still answers belongs to a running daemon and is left alone.
 */
export async function listenUnix(path: string, onSocket: (socket: Socket) => void): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (await answers(path)) {
    throw new CortexError('EBUSY', `Another daemon already answers on ${path}.`);
  }
  try {
    unlinkSync(path);
  } catch {
    // No stale socket.
  }
  const server = createServer({ pauseOnConnect: false }, onSocket);
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  return server;
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
