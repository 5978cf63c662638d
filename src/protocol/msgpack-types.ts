/** The values that cross the wire: exactly what plain MessagePack can carry. */
export type MsgValue = null | boolean | number | bigint | string | Uint8Array | Date | RawMsgpack | MsgValue[] | MsgMap;

export interface MsgMap {
  [key: string]: MsgValue | undefined;
}

/**
 * Bytes that already are one encoded MessagePack value. The encoder copies them
 * through untouched, so a stored record is sent without a decode and re-encode.
 */
export class RawMsgpack {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * A map of a request that the daemon's decoder checked and left as its bytes (a put's record: the
 * store needs its key, its indexed attributes and its bytes, not the whole object; see
 * Decoder's `leaveEncoded`). The bytes are a view of the connection's read buffer: valid only
 * while the request is handled. Encoded as they are, like any RawMsgpack.
 */
export class EncodedMap extends RawMsgpack {}

/** How deep values may nest; deeper messages are refused before they are decoded. */
export const MAX_DEPTH = 512;

/**
 * How deep a request may nest at the daemon. Answers wrap what a request stored
 * in more levels than the request did (`match` sends a record inside
 * `[1, id, null, {records: [record]}]`, one level deeper than the `put` that
 * stored it), so requests stop short of MAX_DEPTH to keep every answer within
 * what clients' decoders accept.
 */
export const MAX_REQUEST_DEPTH = MAX_DEPTH - 8;
