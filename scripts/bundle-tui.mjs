// Bundles the compiled TUI (dist/tui/run.js) with Ink and React into one file, dist/tui/run.bundle.js.
// Why: Ink imports `throttle` from es-toolkit's compat index, which loads 400-odd modules; resolving and
// reading them was most of `cortex tui`'s time to first frame. One file, tree-shaken, loads in a fraction.
import { build } from 'esbuild';

/** Ink loads React's devtools only when DEV=true; the bundle has none, and Ink's own message explains. */
const noDevtools = {
  name: 'no-react-devtools',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^react-devtools-core$/ }, () => ({
      path: 'react-devtools-core',
      namespace: 'absent',
    }));
    esbuild.onLoad({ filter: /.*/, namespace: 'absent' }, () => ({
      contents:
        "throw Object.assign(new Error('react-devtools-core is not part of the bundled TUI.'), { code: 'ERR_MODULE_NOT_FOUND' });",
    }));
  },
};

await build({
  entryPoints: ['dist/tui/run.js'],
  outfile: 'dist/tui/run.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // React picks its build from NODE_ENV at run time; the bundle carries only the production one.
  define: { 'process.env.NODE_ENV': '"production"' },
  // React and Ink's CommonJS parts call require() for Node's own modules.
  banner: {
    js: "import { createRequire as cortexCreateRequire } from 'node:module'; const require = cortexCreateRequire(import.meta.url);",
  },
  plugins: [noDevtools],
  logLevel: 'warning',
});
