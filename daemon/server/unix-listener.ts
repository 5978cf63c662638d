import { chmodSync, chownSync, closeSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { ReadBuffer } from '../../src/rpc/read-buffer.js';
import type { NativeAddon, PeerCredentials } from '../../src/native/addon.js';
import { makeDirectory } from '../make-directory.js';
import { AddonReads } from '../../src/native/addon-reads.js';
import { NativeReadSocket } from './native-reads.js';

/**
 * What the kernel said about a caller: its credentials, why they could not be
 * read, or undefined when the addon is missing and Node accepted the caller.
 */
export type LocalCredentials = PeerCredentials | { error: string } | undefined;

/**
 * How a socket the addon accepted is read and written beneath its stream: `reads` is the buffer it
 * reads into (see ReadBuffer), `writeSome` sends to its descriptor directly (see Endpoint's writeThrough).
 */
export interface SocketIo {
  reads: ReadBuffer;
  writeSome: (bytes: Uint8Array) => number;
}

/** A caller's socket, with `io` when the addon accepted it. */
export type OnUnixSocket = (socket: Socket, credentials: LocalCredentials, io?: SocketIo) => void;

export interface UnixListener {
  close(): Promise<void>;
}

export interface UnixListenOptions {
  /** Let this group's members connect too. */
  gid?: number | undefined;
  /** Accept through the addon, which reads each caller's credentials; without it Node accepts. */
  addon?: NativeAddon | undefined;
  /** Accepting failed (out of descriptors, say): for the log. */
  onAcceptError: (reason: string) => void;
  /** With the addon: after a turn that read requests, how long to watch for the next before sleeping (µs). */
  nextRequestWaitMicros?: number | undefined;
}

/**
 * Listens on a Unix socket that only its owner may use (mode 0600 in a 0700
 * directory), or, given a group, its owner and that group's members (0660 in a
 * 0750 directory, both of that group: system mode's `cortex` group). A socket
 * file left behind by a killed daemon is removed; one that still answers belongs
 * to a running daemon and is left alone.
 */
export async function listenUnix(
  path: string,
  onSocket: OnUnixSocket,
  options: UnixListenOptions,
): Promise<UnixListener> {
  const { gid, addon } = options;
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
  const previous = process.umask(0o177);
  let listener: UnixListener;
  try {
    listener = addon ? acceptNatively(addon, path, onSocket, options) : await acceptInNode(path, onSocket);
  } finally {
    process.umask(previous);
  }
  if (gid !== undefined) {
    chownSync(path, -1, gid);
    chmodSync(path, 0o660);
  }
  return listener;
}

function acceptNatively(
  addon: NativeAddon,
  path: string,
  onSocket: OnUnixSocket,
  { onAcceptError, nextRequestWaitMicros = DEFAULT_NEXT_REQUEST_WAIT_MICROS }: UnixListenOptions,
): UnixListener {
  const reads = nativeReads(addon, nextRequestWaitMicros);
  const handle = addon.listen(path, (fd, credentials, error) => {
    if (fd < 0) {
      onAcceptError(error ?? 'accept failed');
      return;
    }
    // An exception here would reach the addon, which reports it as fatal: one caller must never stop the daemon.
    let socket: NativeReadSocket | undefined;
    try {
      socket = new NativeReadSocket(fd, reads);
      // The descriptor is the socket's until it is destroyed, and the endpoint writes to it only while it is writable.
      const io: SocketIo = { reads: socket.reads, writeSome: (bytes) => addon.writeSome(fd, bytes) };
      onSocket(socket, credentials ?? { error: error ?? 'no credentials came with the connection' }, io);
      // After onSocket: a read may reach the endpoint as soon as the turn's poll phase ends.
      socket.startReading();
    } catch (failure) {
      onAcceptError(`a connection could not be set up: ${(failure as Error).message}`);
      if (socket === undefined) closeSync(fd);
      else socket.destroy();
    }
  });
  let closed = false;
  return {
    close() {
      if (!closed) addon.close(handle);
      closed = true;
      return Promise.resolve();
    },
  };
}

/** One reader per addon, that is per thread: the sockets of every listener on it are read in one call a turn. */
const readers = new WeakMap<NativeAddon, AddonReads>();

/**
 * After a turn that read requests, how long the daemon watches for the next before its loop sleeps, unless
 * its config (`next_request_wait_us`) says otherwise: a client awaiting each answer sends its next request
 * well within it, and finds the daemon awake (docs/design.md, "The daemon waits a moment before it sleeps").
 */
export const DEFAULT_NEXT_REQUEST_WAIT_MICROS = 100;

/** The thread's reader is made by its first listener, whose wait it keeps: a daemon process has one listener. */
function nativeReads(addon: NativeAddon, waitMicros: number): AddonReads {
  let reads = readers.get(addon);
  if (reads === undefined) {
    reads = new AddonReads(addon, waitMicros);
    readers.set(addon, reads);
  }
  return reads;
}

async function acceptInNode(path: string, onSocket: OnUnixSocket): Promise<UnixListener> {
  const server: Server = createServer({ pauseOnConnect: false }, (socket) => onSocket(socket, undefined));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
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
