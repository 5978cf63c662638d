/**
 * Errors travel as `{code, message, data?}`. The code is stable and meant for
 * programs; the message is one sentence meant for people.
 */
export const ERROR_CODES = [
  'EINVAL', // bad params, bad key, bad JSON
  'ENOTFOUND', // no such table, method, session...
  'EEXIST', // the thing already exists
  'EACCES', // not allowed
  'ETOOBIG', // message or value over a configured limit
  'EPROTO', // not msgpack-rpc: invalid msgpack or a message of the wrong shape
  'ENOSPC', // the disk (or the database quota) is full
  'EBUSY', // the resource is held by someone else
  'ECONFLICT', // an expected version or hash no longer matches
  'ETIMEDOUT', // a call or connection took longer than allowed
  'ECLOSED', // the connection closed before an answer came
  'ECONNREFUSED', // no daemon answered
  'EUNREACHABLE', // the node a call is for cannot be reached through the mesh (data: {node, reason, last_heard})
  'EINTERNAL', // a bug: the daemon logs the details
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WireError {
  code: ErrorCode;
  message: string;
  data?: unknown;
}

export class CortexError extends Error {
  readonly code: ErrorCode;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, data?: unknown) {
    super(message);
    this.name = 'CortexError';
    this.code = code;
    this.data = data;
  }

  toWire(): WireError {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turns whatever came off the wire into a CortexError, never trusting its shape. */
export function errorFromWire(value: unknown): CortexError {
  if (value !== null && typeof value === 'object') {
    const { code, message, data } = value as Record<string, unknown>;
    return new CortexError(
      isErrorCode(code) ? code : 'EINTERNAL',
      typeof message === 'string' ? message : 'The daemon sent an error without a message.',
      data,
    );
  }
  return new CortexError('EINTERNAL', `The daemon sent an error of an unexpected shape: ${String(value)}.`);
}

/**
 * The code of an error that crossed the wire, read from its shape. Never
 * `instanceof CortexError` across a boundary: the TUI's bundle holds its own
 * copy of the class, so an error made by the client's copy is not an instance
 * of the bundle's (a save conflict went unrecognised that way).
 */
export function errorCode(error: unknown): ErrorCode | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code: unknown = Reflect.get(error, 'code');
  return isErrorCode(code) ? code : undefined;
}

/** The `data` an error carried over the wire (the hash on disk of a conflict, say), read from its shape. */
export function errorData(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? Reflect.get(error, 'data') : undefined;
}

/** A sentence for any thrown value, for the places that print errors to people. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
