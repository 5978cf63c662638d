import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import type * as Run from '../../../tui/run.js';

/** The bundle `cortex tui` loads (built by scripts/bundle-tui.mjs). */
export const BUNDLE = fileURLToPath(new URL('../../../tui/run.bundle.js', import.meta.url));

/**
 * The TUI as it ships: every TUI test drives the bundle, never the modules it
 * is built from, so a difference between the two (two copies of a class, one
 * in the bundle and one in dist/src) fails a test. The modules are imported
 * for their types only, which the linter enforces in test/tui.
 */
export const tui = (await import(pathToFileURL(BUNDLE).href)) as typeof Run;
