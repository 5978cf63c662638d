import type { TLSSocket } from 'node:tls';
import { CortexError, type WireError } from '../../src/protocol/errors.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { namedParams } from '../../src/protocol/params.js';
import { Endpoint } from '../../src/rpc/endpoint.js';

/** Output queued for the peer beyond which senders should wait for 'drain'. */
const HIGH_WATER = 1 << 20;

export interface ChannelHandlers {
  notification(method: string, params: MsgValue): void;
  request(method: string, params: Record<string, MsgValue>): unknown;
  closed(reason: string): void;
}

/**
 * MessagePack-RPC in both directions over one mutual-TLS socket between two
 * nodes, on the shared endpoint: each side sends notifications (the
 * replication stream, acks, heartbeats) and requests (mesh queries) and answers
 * the other's requests. Anything that is not msgpack-rpc, or a message over the
 * size limit, ends the link. This is a separate stream from the client
 * protocol: nothing a client can reach dispatches peer messages.
 */
export class PeerChannel {
  private readonly endpoint: Endpoint;
  private handlers: ChannelHandlers | undefined;
  private closedReason: string | undefined;

  constructor(
    readonly socket: TLSSocket,
    maxMessageBytes: number,
    peer: string,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.endpoint = new Endpoint(socket, {
      remote: peer,
      maxMessageBytes,
      highWaterBytes: HIGH_WATER,
      handler: {
        notification: (method, params) => this.handlers?.notification(method, params),
        request: (id, method, params) => void this.answer(id, method, params),
        closed: (reason) => {
          this.closedReason = reason;
          this.handlers?.closed(reason);
        },
      },
    });
    // Messages that arrive before the session is ready wait in the socket.
    socket.pause();
  }

  /** Starts delivering messages to `handlers`. */
  start(handlers: ChannelHandlers): void {
    this.handlers = handlers;
    if (this.closedReason !== undefined) {
      handlers.closed(this.closedReason);
      return;
    }
    this.socket.resume();
  }

  get isOpen(): boolean {
    return this.endpoint.isOpen;
  }

  /** The socket holds more unsent output than it should: wait for drain before sending more. */
  get congested(): boolean {
    return this.endpoint.congested;
  }

  onDrain(listener: () => void): () => void {
    return this.endpoint.onDrain(listener);
  }

  notify(method: string, params: unknown): void {
    this.endpoint.notify(method, params);
  }

  request(method: string, params: unknown, timeoutMs: number): Promise<MsgValue> {
    return this.endpoint.request(method, params, timeoutMs);
  }

  /** Sends what is queued (a last message such as `bye`), then closes. */
  close(reason: string): void {
    this.endpoint.close(reason);
  }

  private async answer(id: number, method: string, params: MsgValue): Promise<void> {
    let error: WireError | null = null;
    let result: unknown = null;
    try {
      if (this.handlers === undefined) throw new CortexError('EBUSY', 'The link is not ready.');
      result = await this.handlers.request(method, namedParams(method, [], params));
    } catch (caught) {
      error =
        caught instanceof CortexError
          ? caught.toWire()
          : { code: 'EINTERNAL', message: caught instanceof Error ? caught.message : String(caught) };
    }
    this.endpoint.respond(id, error, result);
  }
}
