// Bundles the compiled TUI (dist/tui/run.js) with Ink and React into one file, dist/tui/run.bundle.js.
// Why: Ink imports `throttle` from es-toolkit's compat index, which loads 400-odd modules; resolving and
// reading them was most of `cortex tui`'s time to first frame. One file, tree-shaken, loads in a fraction.
import { dirname, resolve } from 'node:path';
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

/**
 * Ink's string-width (the copy at the top of node_modules) behind the TUI's fast path for text one
 * column per character (dist/tui/frames/one-column-width.js says why). The copy wrap-ansi keeps for
 * itself counts some symbols differently (▶ as two columns) and is left as it is.
 */
const stringWidth = resolve('node_modules/string-width/index.js');
const fastPath = resolve('dist/tui/frames/one-column-width.js');
const oneColumnFastPath = {
  name: 'string-width-one-column-fast-path',
  setup(esbuild) {
    let wrapped = 0;
    esbuild.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await esbuild.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        pluginData: 'real',
      });
      if (real.path !== stringWidth) return real;
      wrapped++;
      return { path: real.path, namespace: 'one-column' };
    });
    esbuild.onLoad({ filter: /.*/, namespace: 'one-column' }, (args) => ({
      contents: [
        `import stringWidth from ${JSON.stringify(args.path)};`,
        `import { withOneColumnFastPath } from ${JSON.stringify(fastPath)};`,
        'export default withOneColumnFastPath(stringWidth);',
      ].join('\n'),
      resolveDir: dirname(args.path),
    }));
    esbuild.onEnd((result) => {
      if (result.errors.length === 0 && wrapped === 0) {
        throw new Error('bundle-tui: nothing imports string-width any more; drop the one-column fast path.');
      }
    });
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
  plugins: [noDevtools, oneColumnFastPath],
  logLevel: 'warning',
});
