import type { TLSSocket } from 'node:tls';
import { CortexError, type WireError } from '../../src/protocol/errors.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { namedParams } from '../../src/protocol/params.js';
import { Endpoint } from '../../src/rpc/endpoint.js';

/** Output queued for the peer beyond which senders should wait for 'drain'. */
const HIGH_WATER = 1 << 20;
/**
 * Messages of one read handled per turn of the event loop: a read full of small `query` requests would
 * otherwise have every answer built before the first is written and its size checked against the bound.
 */
const SLICE_MESSAGES = 4;

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
 *
 * What it queues for the peer is bounded: a message that would be queued behind more than
 * `maxOutputBytes` unread closes the link instead (a peer that never reads cannot grow this
 * node), and replication from the checkpoint brings the peer up to date once it links again.
 */
export class PeerChannel {
  private readonly endpoint: Endpoint;
  private handlers: ChannelHandlers | undefined;
  private closedReason: string | undefined;

  constructor(
    readonly socket: TLSSocket,
    maxMessageBytes: number,
    private readonly peer: string,
    private readonly maxOutputBytes = Infinity,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.endpoint = new Endpoint(socket, {
      remote: peer,
      maxMessageBytes,
      highWaterBytes: HIGH_WATER,
      sliceMessages: SLICE_MESSAGES,
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

  /** Output queued for the peer and not yet taken by it. */
  get pendingBytes(): number {
    return this.endpoint.pendingBytes;
  }

  /** When the queued output last ran dry (Date.now()). */
  get drainedAt(): number {
    return this.endpoint.drainedAt;
  }

  onDrain(listener: () => void): () => void {
    return this.endpoint.onDrain(listener);
  }

  notify(method: string, params: unknown): void {
    this.closeIfUnread();
    this.endpoint.notify(method, params);
  }

  request(method: string, params: unknown, timeoutMs: number): Promise<MsgValue> {
    this.closeIfUnread();
    return this.endpoint.request(method, params, timeoutMs);
  }

  /** Sends what is queued (a last message such as `bye`), then closes. */
  close(reason: string): void {
    this.endpoint.close(reason);
  }

  /**
   * Closes the link when the peer left more than the bound unread. Checked before each message is
   * queued, so one message larger than the bound still goes to a peer that reads, and the queue holds
   * at most the bound and one message. Replication waits for drain past HIGH_WATER, far below it.
   */
  private closeIfUnread(): void {
    const unread = this.endpoint.pendingBytes;
    if (unread <= this.maxOutputBytes) return;
    this.endpoint.destroy(
      `${this.peer} left ${unread} bytes unread, more than mesh_max_output_bytes (${this.maxOutputBytes}): ` +
        'the link is closed, and the peer catches up from its checkpoint when it links again',
    );
  }

  private async answer(id: number, method: string, params: MsgValue): Promise<void> {
    // A peer that does not read its answers gets no more work done for it.
    this.closeIfUnread();
    if (!this.endpoint.isOpen) return;
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
    this.closeIfUnread();
    this.endpoint.respond(id, error, result);
  }
}
