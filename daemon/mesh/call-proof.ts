import { encode } from '../../src/protocol/msgpack-encode.js';
import type { MsgValue } from '../../src/protocol/msgpack-types.js';
import { bytes, type Check, integer, object, string } from '../../src/protocol/validate.js';

/**
 * What the node a call starts on signs, with the key of its node certificate,
 * so that nodes relaying it cannot change who it is for or what it does: the
 * caller's identity, the origin and target nodes, the calling connection, the
 * method and its params, when it was signed and a nonce the target takes once.
 * The route is left out: each relay appends itself to it.
 */
export interface CallStatement {
  identity: string;
  origin: string;
  /** The node that runs the call; `*` for a query every node answers. */
  target: string;
  conn: string;
  method: string;
  params: MsgValue;
}

/** The signature a call carries, with the origin's certificate to check it by. */
export interface CallProof {
  /** The origin's node certificate (DER). */
  cert: Uint8Array;
  /** ms since the epoch, on the origin's clock. */
  at: number;
  nonce: string;
  /** ECDSA P-256 over SHA-256 of signedBytes(). */
  sig: Uint8Array;
}

export const parseCallProof: Check<CallProof> = object({
  cert: bytes({ max: 16 * 1024 }),
  at: integer({ min: 0 }),
  nonce: string({ min: 8, max: 64 }),
  sig: bytes({ max: 256 }),
});

/** Tells these bytes apart from anything else a node key signs, and their layout from a later one. */
const CONTEXT = 'cortex-call/1';

/** The bytes signed: the statement with its time and nonce, in one fixed order. */
export function signedBytes(statement: CallStatement, at: number, nonce: string): Buffer {
  const { identity, origin, target, conn, method, params } = statement;
  return encode([CONTEXT, identity, origin, target, conn, method, at, nonce, params]);
}
