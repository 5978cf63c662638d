import { loadNativeAddon } from '../../src/native/addon.js';

/** This thread's counter, made at the first call (a module is loaded once per thread). */
let counter: Uint32Array | null | undefined;

/**
 * A number that changes once per turn of this thread's event loop, read as
 * `turns[0]` (the addon's turn counter, see cortex_native.c), or null
 * where the addon is not built: callers then mark a turn's end with setImmediate.
 */
export function loadTurnCounter(): Uint32Array | null {
  if (counter === undefined) {
    const addon = loadNativeAddon();
    counter = 'missing' in addon ? null : addon.turnCounter();
  }
  return counter;
}
