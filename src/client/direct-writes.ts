import type { Socket } from 'node:net';
import { type AddonOrReason, loadNativeAddon } from '../native/addon.js';
import { socketDescriptor } from './socket-descriptor.js';

/** Writes a connection makes through its stream before it looks for the addon: a short-lived CLI call never loads it. */
const STREAM_WRITES_FIRST = 16;

/**
 * The `writeSome` of a client's Unix socket (Endpoint's writeThrough): one send(2)
 * to its descriptor with the addon, as the daemon answers, in place of the
 * stream's write request, state machine and callback a tick later, which cost
 * the client more than the send itself (bench/README.md, "The client as cheap
 * as the daemon"). It says "nothing taken" (so the stream writes) for the
 * connection's first STREAM_WRITES_FIRST writes, while the socket is still
 * connecting, and for good when the addon or the descriptor is not there: the
 * client works the same without it.
 */
export function directWrites(
  socket: Socket,
  load: () => AddonOrReason = loadNativeAddon,
): (bytes: Uint8Array) => number {
  let writes = 0;
  /** Undefined until looked for; null when there is no direct path. */
  let send: ((bytes: Uint8Array) => number) | null | undefined;
  return (bytes) => {
    if (send === undefined) {
      if (++writes <= STREAM_WRITES_FIRST || socket.connecting) return 0;
      send = directSend(socket, load());
    }
    return send === null ? 0 : send(bytes);
  };
}

function directSend(socket: Socket, addon: AddonOrReason): ((bytes: Uint8Array) => number) | null {
  if ('missing' in addon) return null;
  const fd = socketDescriptor(socket);
  if (fd === undefined) return null;
  return (bytes) => addon.writeSome(fd, bytes);
}
