/** Slots in the cache (a power of two): enough for every map key and method name of the protocol. */
const SLOTS = 4096;
/** Strings up to this many bytes are looked up; longer ones are rarely repeated and cost more to compare. */
export const SHORT_STRING_BYTES = 15;

const cache: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

/**
 * The string of the `size` bytes at `start` when they are all ASCII, else undefined.
 * Messages repeat the same short strings (map keys, method names, table names), so
 * each is made once and found again by a hash of its bytes: decoding a map then
 * allocates its values, not its keys. A slot holds the last string hashed to it.
 */
export function shortAscii(buf: Uint8Array, start: number, size: number): string | undefined {
  const end = start + size;
  let hash = size;
  for (let i = start; i < end; i++) {
    const code = buf[i]!;
    if (code > 0x7f) return undefined;
    hash = (Math.imul(hash, 31) + code) | 0;
  }
  const slot = (hash ^ (hash >>> 13)) & (SLOTS - 1);
  const cached = cache[slot];
  if (cached !== undefined && cached.length === size && sameAscii(cached, buf, start)) return cached;
  let made = '';
  for (let i = start; i < end; i++) made += String.fromCharCode(buf[i]!);
  cache[slot] = made;
  return made;
}

function sameAscii(text: string, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}
