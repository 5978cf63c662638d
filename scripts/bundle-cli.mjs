// Bundles the compiled CLI (dist/bin/cortex.js and what it imports from dist/bin and dist/src) into
// that same file. Why: resolving and reading some sixty small modules was most of `cortex get`'s
// time as a whole process. Modules that only some commands load on demand (the daemon, the TUI,
// the CA) stay where tsc put them and are imported from there, so a command that needs none of
// them never reads them: each dynamic import is rewritten to point from the bundle to its file.
import { dirname, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const outfile = 'dist/bin/cortex.js';

const loadedOnDemand = {
  name: 'loaded-on-demand',
  setup(esbuild) {
    esbuild.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
      const target = relative(dirname(resolve(outfile)), resolve(args.resolveDir, args.path));
      return { path: target.startsWith('.') ? target : `./${target}`, external: true };
    });
  },
};

await build({
  entryPoints: [outfile],
  outfile,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  plugins: [loadedOnDemand],
  logLevel: 'warning',
});
