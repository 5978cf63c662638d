/**
 * mulberry32: a tiny seeded PRNG. The same seed gives the same sequence on every
 * run, so a randomized test can be replayed and a benchmark reads the same keys
 * in the same order for every store.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
