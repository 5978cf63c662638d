import type { Socket } from 'node:net';

/** Where net.Socket keeps its libuv handle: not in Node's public types, so not in its typings either. */
interface WithHandle {
  _handle?: { fd?: unknown } | null;
}

/**
 * A connected Unix socket's file descriptor, for the addon's reads and writes; undefined
 * when Node keeps none (not connected yet, closed, or a handle without one). The
 * handle is Node's private field: the cast is the one way to reach it, and every
 * caller treats undefined as "use the stream", so a Node that moves it only costs speed.
 */
export function socketDescriptor(socket: Socket): number | undefined {
  // The cast: `_handle` is private to net.Socket and absent from its types (see WithHandle).
  const fd = (socket as unknown as WithHandle)._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
