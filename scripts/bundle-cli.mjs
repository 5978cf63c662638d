// Bundles the compiled CLI (dist/bin/cortex.js and what it imports from dist/bin and dist/src) into
// one CommonJS file, dist/bin/cortex.cjs, the `cortex` that ships. Why: `cortex get` is a whole
// process each time a script calls it. Resolving and reading some sixty small modules was most of
// its time, and loading an ES module entry costs node about 10 ms more than a CommonJS one.
// Modules that only some commands load on demand (the daemon, the TUI, the CA, TLS and ssh) stay
// where tsc put them and are imported from there, so a command that needs none of them never
// reads them: each dynamic import is rewritten to point from the bundle to its file. One exception:
// the TUI's entry (dist/tui/index.js, a few small modules that load the TUI's own bundle) is in this
// bundle, evaluated only when `cortex tui` imports it: importing it as a file started node's ES module
// loader for it alone, 6-13 ms of CPU before the first frame.
import { dirname, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const entry = 'dist/bin/cortex.js';
const outfile = 'dist/bin/cortex.cjs';
/** Imported on demand but carried in the bundle (see above). */
const carried = [resolve('dist/tui/index.js')];

const loadedOnDemand = {
  name: 'loaded-on-demand',
  setup(esbuild) {
    esbuild.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
      if (carried.includes(resolve(args.resolveDir, args.path))) return undefined;
      const target = relative(dirname(resolve(outfile)), resolve(args.resolveDir, args.path));
      return { path: target.startsWith('.') ? target : `./${target}`, external: true };
    });
  },
};

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: ['scripts/cjs-import-meta-url.js'],
  plugins: [loadedOnDemand],
  logLevel: 'warning',
});
