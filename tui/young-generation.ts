import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * Where V8 stops growing the TUI's young generation (both semi-spaces). By
 * default it doubles the young generation under a steady allocation rate up to
 * 32 MB; a TUI redrawing 200×50 frames reaches that within a few keys, and
 * nearly all of it is garbage held as resident memory: paging through a
 * million-record table went from 90 to 150 MB while the live heap stayed near
 * 20 MB. Held at 16 MB, the same run ends near 110 MB and key-to-frame
 * latency is within the noise of 32 MB; at 8 MB the tree's p99 was about 5 ms
 * worse, at 2 MB a third worse (bench/README.md).
 */
const YOUNG_GENERATION_LIMIT = 16 * 1024 * 1024;

/** V8's own growth factor, the one its young generation has when nothing holds it. */
const V8_GROWTH_FACTOR = 2;

/**
 * Holds the young generation at its size. Its maximum can only be set on
 * Node's command line, which `cortex` does not own; the growth factor is read
 * at every growth, so a factor of 1 holds the size where it is. Loading the
 * bundle is one long task in which V8 would double the young generation more
 * than once before any check could run.
 */
export function holdYoungGeneration(): void {
  if (youngGenerationSize() !== undefined) setGrowthFactor(1);
}

/** Lets the young generation grow again, and holds it once it has reached the limit (checked after each collection). */
export function growYoungGenerationToLimit(): void {
  const size = youngGenerationSize();
  // A V8 without this space has another young generation: leave it alone.
  if (size === undefined || size >= YOUNG_GENERATION_LIMIT) return;
  setGrowthFactor(V8_GROWTH_FACTOR);
  const observer = new PerformanceObserver(() => {
    if ((youngGenerationSize() ?? 0) < YOUNG_GENERATION_LIMIT) return;
    observer.disconnect();
    setGrowthFactor(1);
  });
  observer.observe({ entryTypes: ['gc'] });
}

function youngGenerationSize(): number | undefined {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size;
}

/** The growth factor last set here; V8's own until then. */
let growthFactor = V8_GROWTH_FACTOR;

function setGrowthFactor(factor: number): void {
  growthFactor = factor;
  setFlagsFromString(`--semi-space-growth-factor=${factor}`);
}

/**
 * Runs `work` with V8's flags as they were while the bundle loaded (the young
 * generation held). V8 stamps a code cache with a hash of its flags and
 * refuses one whose stamp differs: a cache made while the young generation
 * grows would never be taken by the next start.
 */
export function withFlagsOfLoading<T>(work: () => T): T {
  const factor = growthFactor;
  if (youngGenerationSize() === undefined || factor === 1) return work();
  setGrowthFactor(1);
  try {
    return work();
  } finally {
    setGrowthFactor(factor);
  }
}
