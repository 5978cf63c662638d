/** Slots in the cache (a power of two): enough for every map key and method name of the protocol. */
const SLOTS = 4096;
/** Strings up to this many bytes are looked up; longer ones are rarely repeated and cost more to compare. */
export const SHORT_STRING_BYTES = 15;
/** Words of four bytes that hold SHORT_STRING_BYTES. */
const WORDS = 4;
const HIGH_BITS = 0x80808080 | 0;

/**
 * Buffer's own latin1 slice, which `toString('latin1', start, end)` calls after checking its
 * arguments (present in every Node version, not in its type declarations); a string not found
 * is made on every message, and the checks were a third of making it.
 */
type LatinSlicing = Buffer & { latin1Slice(start: number, end: number): string };

/** The same through `toString` should a Node version not have it. */
const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Partial<LatinSlicing>).latin1Slice === 'function'
    ? (buf, start, end) => (buf as LatinSlicing).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

/** Each slot's string, its bytes as WORDS big-endian words padded with zeros, and its length plus one (0: empty). */
const strings: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
const words = new Int32Array(SLOTS * WORDS);
const lengths = new Uint8Array(SLOTS);

/**
 * The string of the `size` bytes at `start` of `view` when they are all ASCII, else
 * undefined. Messages repeat the same short strings (map keys, method names, table
 * names), so each is made once and found again: decoding a map then allocates its
 * values, not its keys. The bytes are read and compared four at a time; a slot holds
 * the last string hashed to it.
 */
export function shortAscii(view: DataView, buf: Buffer, start: number, size: number): string | undefined {
  const end = start + size;
  const w0 = wordAt(view, start, end);
  const w1 = size > 4 ? wordAt(view, start + 4, end) : 0;
  const w2 = size > 8 ? wordAt(view, start + 8, end) : 0;
  const w3 = size > 12 ? wordAt(view, start + 12, end) : 0;
  const hash = Math.imul(
    w0 ^ Math.imul(w1 ^ Math.imul(w2 ^ Math.imul(w3, 0x27d4eb2f), 0xc2b2ae35), 0x85ebca6b) ^ size,
    0x9e3779b1,
  );
  const slot = hash >>> 20;
  const at = slot * WORDS;
  if (
    lengths[slot] === size + 1 &&
    words[at] === w0 &&
    words[at + 1] === w1 &&
    words[at + 2] === w2 &&
    words[at + 3] === w3
  ) {
    return strings[slot];
  }
  // Only ASCII strings are kept, so the bytes of a string found above are ASCII.
  if (((w0 | w1 | w2 | w3) & HIGH_BITS) !== 0) return undefined;
  // One native call makes a flat string; joining characters one by one made a string per character.
  const made = latin1(buf, start, end);
  strings[slot] = made;
  lengths[slot] = size + 1;
  words[at] = w0;
  words[at + 1] = w1;
  words[at + 2] = w2;
  words[at + 3] = w3;
  return made;
}

/** The four bytes at `at` as a big-endian word, or the bytes before `end` padded with zeros. */
function wordAt(view: DataView, at: number, end: number): number {
  const left = end - at;
  if (left >= 4) return view.getInt32(at);
  let word = 0;
  for (let i = 0; i < 4; i++) word = (word << 8) | (i < left ? view.getUint8(at + i) : 0);
  return word;
}
