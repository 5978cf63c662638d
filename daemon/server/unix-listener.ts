import { chmodSync, chownSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import { makeDirectory } from '../make-directory.js';

/**
 * Listens on a Unix socket that only its owner may use (mode 0600 in a 0700
 * directory), or, given a group, its owner and that group's members (0660 in a
 * 0750 directory, both of that group: system mode's `cortex` group). A socket
 * file left behind by a killed daemon is removed; one that still answers belongs
 * to a running daemon and is left alone.
 */
export async function listenUnix(path: string, onSocket: (socket: Socket) => void, gid?: number): Promise<Server> {
  const directory = dirname(path);
  makeDirectory(directory, 0o700);
  if (gid !== undefined) {
    chownSync(directory, -1, gid);
    chmodSync(directory, 0o750);
  }
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
  if (gid !== undefined) {
    chownSync(path, -1, gid);
    chmodSync(path, 0o660);
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
