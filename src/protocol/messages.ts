import { CortexError, type WireError } from './errors.js';
import { Encoder } from './msgpack-encode.js';
import { type MsgValue, RawMsgpack } from './msgpack-types.js';

/** The three msgpack-rpc message kinds: `[0,id,method,params]`, `[1,id,error,result]`, `[2,method,params]`. */
export const REQUEST = 0;
export const RESPONSE = 1;
export const NOTIFICATION = 2;

export const MAX_MSGID = 0xffffffff;

/**
 * `{ok: true}`, a put's answer: a response given this very object is written as its known bytes
 * (no error, then the map), not encoded; the encoder's walk of a one-key object cost a put ~500
 * instructions. Frozen, since it is shared.
 */
export const OK: Readonly<{ ok: true }> = Object.freeze({ ok: true });

/** Why a `[0, ...]` message is not a well-formed request; undefined when it is one. Params are the method's to check. */
export function requestShapeError(message: MsgValue[]): CortexError | undefined {
  if (message.length !== 4) return new CortexError('EPROTO', 'A request must be the array [0, msgid, method, params].');
  const id = message[1];
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_MSGID) {
    return new CortexError('EPROTO', 'A request msgid must be an integer from 0 to 2^32-1.');
  }
  if (typeof message[2] !== 'string') return new CortexError('EPROTO', 'A request method must be a string.', { id });
  return undefined;
}

/** Why a `[2, ...]` message is not a well-formed notification; undefined when it is one. */
export function notificationShapeError(message: MsgValue[]): CortexError | undefined {
  if (message.length !== 3 || typeof message[1] !== 'string') {
    return new CortexError('EPROTO', 'A notification must be the array [2, method, params].');
  }
  return undefined;
}

/**
 * `[1, id, error, result]`. Its head is written as bytes: the array of four, the kind, the msgid (encode()'s
 * dispatch for each cost a response ~250 instructions).
 */
export function writeResponse(encoder: Encoder, id: number, error: WireError | null, result: unknown): void {
  encoder.appendByte(0x94);
  encoder.appendByte(RESPONSE);
  encoder.uint32(id);
  if (result === OK && error === null) {
    writeNoErrorThenOk(encoder);
    return;
  }
  encoder.encode(error);
  encoder.encode(error ? null : (result ?? null));
}

/** nil, then {ok: true}: six bytes written one by one, cheaper than a copy of an array of them. */
function writeNoErrorThenOk(encoder: Encoder): void {
  encoder.appendByte(0xc0);
  encoder.appendByte(0x81);
  encoder.appendByte(0xa2);
  encoder.appendByte(0x6f);
  encoder.appendByte(0x6b);
  encoder.appendByte(0xc3);
}

export function writeRequest(encoder: Encoder, id: number, method: string, params: unknown): void {
  encoder.arrayHeader(4);
  encoder.encode(REQUEST);
  encoder.encode(id);
  encoder.encode(method);
  encoder.encode(params ?? {});
}

export function writeNotification(encoder: Encoder, method: string, params: unknown): void {
  encoder.arrayHeader(3);
  encoder.encode(NOTIFICATION);
  encoder.encode(method);
  encoder.encode(params ?? {});
}

/**
 * A whole `[2, method, params]` message, encoded once: a notification fanned out to many
 * connections is written to each as these bytes instead of being encoded for each.
 */
export function encodedNotification(method: string, params: unknown): RawMsgpack {
  try {
    writeNotification(shared, method, params);
  } catch (error) {
    shared.truncate(0);
    throw error;
  }
  return new RawMsgpack(shared.take());
}

const shared = new Encoder();
