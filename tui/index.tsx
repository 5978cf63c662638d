import { fileURLToPath } from 'node:url';
import { traceStep } from '../src/startup-trace.js';
import { loadBundle } from './bundle-loader.js';
import type { TuiOptions } from './options.js';
import type * as RunModule from './run.js';
import { growYoungGenerationToLimit, holdYoungGeneration, withFlagsOfLoading } from './young-generation.js';

export { tuiCacheDir } from './bundle-loader.js';

/** How long the first frame waits for the tree's lists when they are not in by the time the bundle has loaded. */
const LISTS_WAIT_MS = 150;

/** What the bundle exports: the TUI's run module, and Yoga's start, which Ink needs before it lays anything out. */
type Bundle = typeof RunModule & { initYoga: () => Promise<void> };

/**
 * Runs `cortex tui` until the user quits; sessions and terminals keep running in the daemon.
 * `cacheDir` holds the bundle's code cache (tui/bundle-loader.ts).
 */
export async function runTui(options: TuiOptions, cacheDir: string): Promise<void> {
  holdYoungGeneration();
  // React chooses its build from NODE_ENV when it is first loaded, so this comes before any import
  // of React or Ink. The development build records every render in the performance timeline, with
  // a diff of the props, and Node keeps those entries: scrolling a 50,000-event session took the
  // TUI to 3.6 GB and seconds per frame. NODE_ENV=development still asks for it.
  process.env['NODE_ENV'] ??= 'production';
  // Ink draws only a final frame when CI or CONTINUOUS_INTEGRATION is set (it assumes no one is
  // watching a build log). `cortex tui` only runs on a terminal, so a person is watching: a CI
  // variable inherited from a build shell (or from CI itself, in the end-to-end tests) must not
  // blank the screen. Ink reads them once, when it is first imported, just below.
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
  // Ink's colours (chalk) do not read NO_COLOR (no-color.org); FORCE_COLOR=0 tells them the same.
  if (process.env['NO_COLOR'] !== undefined && process.env['FORCE_COLOR'] === undefined) {
    process.env['FORCE_COLOR'] = '0';
  }
  // The bundle (scripts/bundle-tui.mjs) carries Ink and React's production build in one file and
  // loads in a quarter of the time; React's development build comes only from the modules themselves.
  const renderTui = await loadRenderer(cacheDir);
  traceStep('bundle');
  growYoungGenerationToLimit();
  // A first frame without the tree costs a whole frame more before the tree (60-90 ms of CPU, the
  // code still cold) than waiting a little for its lists, asked for while the bundle loaded.
  await options.opened?.()?.tree.settled(LISTS_WAIT_MS);
  await renderTui(options);
}

/**
 * The TUI's renderer: from the bundle, through its code cache (made once the
 * first frame is out), or from the modules themselves for React's development build.
 */
async function loadRenderer(cacheDir: string): Promise<(options: TuiOptions) => Promise<void>> {
  if (process.env['NODE_ENV'] === 'development') return (await import('./run.js')).renderTui;
  // `../tui/`, not `./`: this module also runs from inside the CLI's bundle, dist/bin/cortex.cjs
  // (scripts/bundle-cli.mjs), and from there as from dist/tui/ the path leads to dist/tui/.
  const bundle = loadBundle<Bundle>(fileURLToPath(new URL('../tui/run.bundle.cjs', import.meta.url)), cacheDir);
  await withoutFetch(() => bundle.exports.initYoga());
  return (options) =>
    bundle.exports.renderTui({ ...options, onFirstFrame: () => void bundle.saveCache(withFlagsOfLoading) });
}

/**
 * Runs `load` with `fetch` hidden. yoga-layout, Ink's layout engine, loads
 * its WebAssembly by fetching a data: URL when fetch exists, and the first
 * fetch loads Node's whole implementation of it (undici); without fetch it
 * decodes the same bytes itself, and the bundle starts in about a third less
 * time. Nothing else runs meanwhile: Yoga's start is awaited before anything
 * else starts.
 */
async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const fetch = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (fetch === undefined) return load();
  Reflect.deleteProperty(globalThis, 'fetch');
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', fetch);
  }
}
