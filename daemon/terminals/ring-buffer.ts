/**
 * The last `capacity` bytes written, oldest first: a terminal's scrollback.
 * Memory grows with use up to the capacity, so an idle terminal costs little.
 */
export class RingBuffer {
  private buffer = Buffer.alloc(0);
  /** Where the oldest byte is, once the buffer has wrapped. */
  private start = 0;
  private used = 0;
  /** Whether older output was dropped, so the oldest byte held may be in the middle of a character. */
  private cut = false;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.used;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length >= this.capacity) {
      this.buffer = Buffer.from(chunk.subarray(chunk.length - this.capacity));
      this.start = 0;
      this.used = this.capacity;
      this.cut = true;
      return;
    }
    if (this.buffer.length < this.capacity && this.used + chunk.length > this.buffer.length) this.grow(chunk.length);
    const length = this.buffer.length;
    let end = (this.start + this.used) % length;
    let offset = 0;
    while (offset < chunk.length) {
      const room = Math.min(chunk.length - offset, length - end);
      this.buffer.set(chunk.subarray(offset, offset + room), end);
      offset += room;
      end = (end + room) % length;
    }
    const overflow = this.used + chunk.length - length;
    if (overflow > 0) {
      this.start = (this.start + overflow) % length;
      this.used = length;
      this.cut = true;
    } else {
      this.used += chunk.length;
    }
  }

  /**
   * The last `limit` bytes held (all of them by default), less the newest
   * `leaveOut`. When the start was cut, it moves past UTF-8 continuation bytes
   * so no character is split.
   */
  snapshot(limit = this.used, leaveOut = 0): Buffer {
    const held = Math.max(0, this.used - leaveOut);
    const take = Math.min(limit, held);
    const out = Buffer.allocUnsafe(take);
    const length = this.buffer.length;
    const from = (this.start + held - take) % Math.max(length, 1);
    const first = Math.min(take, length - from);
    this.buffer.copy(out, 0, from, from + first);
    if (first < take) this.buffer.copy(out, first, 0, take - first);
    let skip = 0;
    if (take < held || this.cut) {
      while (skip < out.length && skip < 4 && (out[skip]! & 0xc0) === 0x80) skip++;
    }
    return skip > 0 ? out.subarray(skip) : out;
  }

  private grow(needed: number): void {
    // Only before the first wrap: the contents are still contiguous from 0.
    const size = Math.min(this.capacity, Math.max(this.used + needed, this.buffer.length * 2, 64 * 1024));
    const grown = Buffer.alloc(size);
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
    this.start = 0;
  }
}
