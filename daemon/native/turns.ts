import { loadNativeAddon } from '../identity/native.js';

/**
 * A number that changes once per turn of this thread's event loop, read as
 * `turns[0]` (the addon's turn counter, see cortex_native.c), or null
 * where the addon is not built: callers then mark a turn's end with setImmediate.
 */
export function loadTurnCounter(): Uint32Array | null {
  const addon = loadNativeAddon();
  return 'missing' in addon ? null : addon.turnCounter();
}
