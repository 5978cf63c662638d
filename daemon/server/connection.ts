import type { Socket } from 'node:net';
import type { CortexError, WireError } from '../../src/protocol/errors.js';
import { methods } from '../../src/protocol/methods.js';
import { Decoder, type EncodedField } from '../../src/protocol/msgpack-decode.js';
import { MAX_REQUEST_DEPTH, type MsgValue, type RawMsgpack } from '../../src/protocol/msgpack-types.js';
import type { NotificationName, Outgoing } from '../../src/protocol/notifications.js';
import { Endpoint } from '../../src/rpc/endpoint.js';
import type { Identity } from '../identity/identity.js';
import type { Logger } from '../logger.js';
import type { Caller } from './caller.js';
import type { SocketIo } from './unix-listener.js';

export interface ConnectionLimits {
  /** A message larger than this is refused (ETOOBIG) and skipped. */
  maxMessageBytes: number;
  /** Output waiting for a client beyond which reading from it pauses. */
  highWaterBytes: number;
  /** Output waiting for a client beyond which it is disconnected. */
  maxOutputBytes: number;
  /** How long a client may leave its output unread before it is disconnected. */
  stallTimeoutMs: number;
}

/** What the connection hands each request and notification to. */
export interface MessageSink {
  request(connection: Connection, id: number, method: string, params: MsgValue): void;
  notification(connection: Connection, method: string, params: MsgValue): void;
  closed(connection: Connection): void;
}

/**
 * Requests of one read handled before the event loop turns. A client that keeps 64 in flight
 * sends them in one write; handled in two slices, the first slice's answers (and a put's group
 * commit) leave while the second is handled, so the client works while the daemon does, instead
 * of each waiting for the other's whole batch (bench/README.md, "Pipelining without lockstep").
 */
const SLICE_MESSAGES = 32;

/**
 * A put's record is left as its bytes (an EncodedMap): the put handler decodes only its key and indexed
 * attributes, and the store writes the bytes (bench/README.md, "A put's record left encoded").
 */
const LEAVE_ENCODED: ReadonlyMap<string, EncodedField> = new Map([
  ['put', { name: 'record', position: methods.put.params.fields.indexOf('record') }],
]);

let nextConnectionId = 1;

/**
 * One client of the daemon: the shared msgpack-rpc endpoint, set up to protect
 * the daemon from the client. Oversized messages are refused and skipped,
 * garbage closes only this connection, answers written during one slice of a
 * read or one turn of the event loop go out in one write, and a client that stops reading is
 * paused and then dropped instead of growing the daemon's memory.
 */
export class Connection implements Caller {
  readonly id = nextConnectionId++;
  private readonly endpoint: Endpoint;

  constructor(
    socket: Socket,
    /** Changes when the client authenticates. */
    public identity: Identity,
    sink: MessageSink,
    limits: ConnectionLimits,
    private readonly log: Logger,
    readonly transport: 'unix' | 'tls' = 'unix',
    readonly peer: string = 'local',
    /** How the socket is read and written beneath its stream, when the addon accepted it. */
    io?: SocketIo,
  ) {
    socket.setNoDelay?.(true);
    socket.on('error', (error) => this.log.debug(`connection ${this.id}: ${error.message}`));
    this.endpoint = new Endpoint(socket, {
      remote: `client ${this.id}`,
      // Requests may nest less deeply than answers, so that an answer carrying a stored record stays decodable.
      maxDepth: MAX_REQUEST_DEPTH,
      // Records arrive at depth 2 (`put`'s record, by name or by position) and 3 (`put_many`'s records[i]).
      decoder: new Decoder(MAX_REQUEST_DEPTH, new Set([2, 3]), LEAVE_ENCODED),
      maxMessageBytes: limits.maxMessageBytes,
      highWaterBytes: limits.highWaterBytes,
      pauseWhenCongested: true,
      stallTimeoutMs: limits.stallTimeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
      makesCalls: false,
      sliceMessages: SLICE_MESSAGES,
      ...(io === undefined ? {} : { reads: io.reads, writeSome: io.writeSome }),
      log: (line) => this.log.info(`connection ${this.id}: ${line}`),
      handler: {
        request: (id, method, params) => sink.request(this, id, method, params),
        notification: (method, params) => sink.notification(this, method, params),
        invalid: (error, id, fatal) => this.invalid(error, id, fatal),
        closed: () => sink.closed(this),
      },
    });
  }

  get isOpen(): boolean {
    return this.endpoint.isOpen;
  }

  /** Bytes written for this client that it has not read yet (queued here and in the socket). */
  get pendingBytes(): number {
    return this.endpoint.pendingBytes;
  }

  get drainedAt(): number {
    return this.endpoint.drainedAt;
  }

  respond(id: number, error: WireError | null, result: unknown): void {
    this.endpoint.respond(id, error, result);
  }

  notify<N extends NotificationName>(name: N, params: Outgoing<N>, _topic?: string, encoded?: RawMsgpack): void {
    if (encoded === undefined) this.endpoint.notify(name, params);
    else this.endpoint.notifyEncoded(encoded);
  }

  notifyAll<N extends NotificationName>(
    _name: N,
    _params: readonly Outgoing<N>[],
    _topic: string,
    encoded: Uint8Array,
  ): void {
    this.endpoint.writeEncoded(encoded);
  }

  /** Answers a message that cannot be handled: by its msgid when one can be read, else as a notification. */
  refuse(id: number | undefined, error: WireError): void {
    if (id !== undefined) this.respond(id, error, null);
    else this.notify('protocol_error', error);
  }

  /** Tells the client why it is closed (an `error` notification: its pending calls fail with it), then closes. */
  closeFor(error: WireError): void {
    this.notify('error', error);
    this.endpoint.close(error.message);
  }

  /** Sends what is queued, then closes. */
  close(): void {
    this.endpoint.close(`The daemon closed connection ${this.id}.`);
  }

  private invalid(error: CortexError, id: number | undefined, fatal: boolean): void {
    this.refuse(id, error.toWire());
    if (fatal) this.log.info(`connection ${this.id}: closed after a protocol error: ${error.message}`);
  }
}
