import { CortexError, type WireError } from './errors.js';
import type { Encoder } from './msgpack-encode.js';
import type { MsgValue } from './msgpack-types.js';
import { isPlainMap } from './validate.js';

/** The three msgpack-rpc message kinds: `[0,id,method,params]`, `[1,id,error,result]`, `[2,method,params]`. */
export const REQUEST = 0;
export const RESPONSE = 1;
export const NOTIFICATION = 2;

export interface Request {
  id: number;
  method: string;
  params: Record<string, MsgValue>;
}

export const MAX_MSGID = 0xffffffff;

/**
 * Checks the shape of a decoded request. Params are a map, or a one-element
 * array holding a map (what generic msgpack-rpc clients send); an empty array
 * means no params.
 */
export function parseRequest(message: MsgValue): Request {
  if (!Array.isArray(message) || message.length !== 4 || message[0] !== REQUEST) {
    throw new CortexError('EPROTO', 'A request must be the array [0, msgid, method, params].');
  }
  const [, id, method, params] = message;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_MSGID) {
    throw new CortexError('EPROTO', 'A request msgid must be an integer from 0 to 2^32-1.');
  }
  if (typeof method !== 'string') {
    throw new CortexError('EPROTO', 'A request method must be a string.', { id });
  }
  return { id, method, params: normaliseParams(params, method) };
}

function normaliseParams(params: MsgValue | undefined, method: string): Record<string, MsgValue> {
  if (params === null || params === undefined) return {};
  if (isPlainMap(params)) return params;
  if (Array.isArray(params)) {
    if (params.length === 0) return {};
    if (params.length === 1 && isPlainMap(params[0])) return params[0];
  }
  throw new CortexError('EINVAL', `The params of ${method} must be a map (or an array holding one map).`);
}

export function writeResponse(encoder: Encoder, id: number, error: WireError | null, result: unknown): void {
  encoder.arrayHeader(4);
  encoder.encode(RESPONSE);
  encoder.encode(id);
  encoder.encode(error);
  encoder.encode(error ? null : (result ?? null));
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
