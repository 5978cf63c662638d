// Bundles the compiled TUI (dist/tui/run.js) with Ink and React into one file, dist/tui/run.bundle.js.
// Why: Ink imports `throttle` from es-toolkit's compat index, which loads 400-odd modules; resolving and
// reading them was most of `cortex tui`'s time to first frame. One file, tree-shaken, loads in a fraction.
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * Rewrites a module's source at bundle time, failing the build if a rewrite no longer matches (the
 * package changed under it). `file` is matched against the end of the module's path.
 */
function rewriteSource(name, file, rewrites) {
  return {
    name,
    setup(esbuild) {
      const filter = new RegExp(`${file.replaceAll('/', '[\\\\/]').replaceAll('.', '\\.')}$`);
      esbuild.onLoad({ filter, namespace: 'file' }, async (args) => {
        let contents = await readFile(args.path, 'utf8');
        for (const [from, to] of rewrites) {
          if (!contents.includes(from)) throw new Error(`bundle-tui: ${args.path} no longer contains ${from}`);
          contents = contents.replace(from, to);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * The two top-level awaits that kept the bundle an ES module (which Node 20 cannot give a code cache,
 * see tui/bundle-loader.ts). Ink's reconciler awaits React's devtools and its package.json only when
 * DEV=true: the bundle has no devtools, so it says so as the missing package would. yoga-layout awaits
 * its WebAssembly: its default export becomes an object the bundle's `initYoga` fills in, which the
 * TUI awaits before Ink lays anything out (Ink only uses Yoga inside functions, never at import).
 */
const inkWithoutDevtools = rewriteSource('ink-without-devtools', 'ink/build/reconciler.js', [
  [
    "await import('./devtools.js');",
    "throw Object.assign(new Error('react-devtools-core is not part of the bundled TUI.'), { code: 'ERR_MODULE_NOT_FOUND' });",
  ],
  ['? await loadPackageJson()', "? { name: 'ink', version: undefined }"],
]);
const yogaInitialisedLater = rewriteSource('yoga-initialised-later', 'yoga-layout/dist/src/index.js', [
  [
    'const Yoga = wrapAssembly(await loadYoga());',
    'const Yoga = {};\nexport async function initYoga() {\n  Object.assign(Yoga, wrapAssembly(await loadYoga()));\n}',
  ],
]);

/**
 * Ink's Output keeps what it made for one frame for the next (dist/tui/frames/carried-over.js says
 * why): its caches of widths and styled characters, one for the process instead of one per frame; one
 * blank cell for every empty place; the text of a row whose cells are those of the last frame's.
 */
const carriedOver = resolve('dist/tui/frames/carried-over.js');
const inkCarriesFramesOver = rewriteSource('ink-carries-frames-over', 'ink/build/output.js', [
  [
    'class OutputCaches {',
    `import { BLANK_CELL, CARRIED_ENTRIES, CarriedMap, RowTexts } from ${JSON.stringify(carriedOver)};\nclass OutputCaches {`,
  ],
  ['    widths = new Map();', '    widths = new CarriedMap(CARRIED_ENTRIES);'],
  ['    blockWidths = new Map();', '    blockWidths = new CarriedMap(CARRIED_ENTRIES);'],
  ['    styledChars = new Map();', '    styledChars = new CarriedMap(CARRIED_ENTRIES);'],
  [
    'export default class Output {',
    'const carriedCaches = new OutputCaches();\nconst rowTexts = new RowTexts((cells) => styledCharsToString(cells).trimEnd());\nexport default class Output {',
  ],
  ['    caches = new OutputCaches();', '    caches = carriedCaches;'],
  [
    `                row.push({
                    type: 'char',
                    value: ' ',
                    fullWidth: false,
                    styles: [],
                });`,
    '                row.push(BLANK_CELL);',
  ],
  [
    `            .map(line => {
            // See https://github.com/vadimdemedes/ink/pull/564#issuecomment-1637022742
            const lineWithoutEmptyItems = line.filter(item => item !== undefined);
            return styledCharsToString(lineWithoutEmptyItems).trimEnd();
        })`,
    '            .map((line, y) => rowTexts.text(y, line))',
  ],
]);

/**
 * The characters of a run of text in one style share one list of styles (the list reduceAnsiCodes
 * made, which it never changes afterwards), and turning characters back into a string compares two
 * neighbours' styles only when the lists differ: it built three Sets and three arrays per character
 * to find that two equal lists differ in nothing, 3,000 times for a whole 100x30 frame.
 */
const sharedStyles = rewriteSource('ansi-tokenize-shared-styles', '@alcalzone/ansi-tokenize/build/styledChars.js', [
  ['                styles: [...codes],', '                styles: codes,'],
  [
    '            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));',
    '            const before = chars[i - 1].styles;\n            if (before !== char.styles && (before.length > 0 || char.styles.length > 0))\n                ret += ansiCodesToString(diffAnsiCodes(before, char.styles));',
  ],
  ['        if (i === chars.length - 1) {', '        if (i === chars.length - 1 && char.styles.length > 0) {'],
]);

const fastPath = resolve('dist/tui/frames/one-column-width.js');

/**
 * Every Intl.Segmenter in the bundle made when it first segments, not as its module loads (the first
 * one in a process costs ~15 ms of CPU), and Ink's tokenizer segmenting text of one-column characters
 * without one (dist/tui/frames/one-column-width.js): a first frame of such text then makes none.
 */
const lazy = (file, declaration) =>
  rewriteSource(`lazy-segmenter:${file}`, file, [
    [
      declaration,
      `import { lazySegmenter } from ${JSON.stringify(fastPath)};\n${declaration.replace('new Intl.Segmenter(', 'lazySegmenter(')}`,
    ],
  ]);
const lazySegmenters = [
  lazy('string-width/index.js', 'const segmenter = new Intl.Segmenter();'),
  lazy(
    'slice-ansi/tokenize-ansi.js',
    "const GRAPHEME_SEGMENTER = new Intl.Segmenter(undefined, {granularity: 'grapheme'});",
  ),
];
const tokenizerWithoutSegmenter = rewriteSource(
  'ansi-tokenize-one-column',
  '@alcalzone/ansi-tokenize/build/tokenize.js',
  [
    [
      'const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });',
      `import { lazySegmenter, oneColumnGraphemes } from ${JSON.stringify(fastPath)};\nconst segmenter = lazySegmenter(undefined, { granularity: "grapheme" });`,
    ],
    ['segmenter.segment(str)', '(oneColumnGraphemes(str) ?? segmenter.segment(str))'],
  ],
);

/**
 * Ink's string-width and slice-ansi (the copies at the top of node_modules) behind the TUI's fast paths
 * for text one column per character (dist/tui/frames/one-column-width.js says why). The string-width
 * wrap-ansi keeps for itself counts some symbols differently (▶ as two columns) and is left as it is.
 */
const oneColumnFastPaths = [
  { name: 'string-width', path: resolve('node_modules/string-width/index.js'), wrapper: 'withOneColumnFastPath' },
  { name: 'slice-ansi', path: resolve('node_modules/slice-ansi/index.js'), wrapper: 'withOneColumnSlice' },
];
const oneColumnFastPath = {
  name: 'one-column-fast-paths',
  setup(esbuild) {
    const wrapped = new Set();
    esbuild.onResolve({ filter: /^(string-width|slice-ansi)$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await esbuild.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        pluginData: 'real',
      });
      const fast = oneColumnFastPaths.find(({ path }) => path === real.path);
      if (fast === undefined) return real;
      wrapped.add(fast.name);
      return { path: real.path, namespace: 'one-column', pluginData: fast.wrapper };
    });
    esbuild.onLoad({ filter: /.*/, namespace: 'one-column' }, (args) => ({
      contents: [
        `import real from ${JSON.stringify(args.path)};`,
        `import { ${args.pluginData} } from ${JSON.stringify(fastPath)};`,
        `export default ${args.pluginData}(real);`,
      ].join('\n'),
      resolveDir: dirname(args.path),
    }));
    esbuild.onEnd((result) => {
      const unused = oneColumnFastPaths.filter(({ name }) => !wrapped.has(name)).map(({ name }) => name);
      if (result.errors.length === 0 && unused.length > 0) {
        throw new Error(`bundle-tui: nothing imports ${unused.join(' or ')} any more; drop its one-column fast path.`);
      }
    });
  },
};

await build({
  stdin: {
    contents: "export * from './run.js';\nexport { initYoga } from 'yoga-layout';",
    resolveDir: resolve('dist/tui'),
    sourcefile: 'bundle-entry.js',
  },
  outfile: 'dist/tui/run.bundle.cjs',
  bundle: true,
  platform: 'node',
  // A script, not an ES module: tui/bundle-loader.ts runs it through vm.Script with V8's code cache.
  format: 'cjs',
  target: 'node20',
  // React picks its build from NODE_ENV at run time; the bundle carries only the production one.
  define: { 'process.env.NODE_ENV': '"production"', 'import.meta.url': 'cortexBundleUrl' },
  banner: { js: "var cortexBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [
    inkWithoutDevtools,
    yogaInitialisedLater,
    inkCarriesFramesOver,
    sharedStyles,
    ...lazySegmenters,
    tokenizerWithoutSegmenter,
    oneColumnFastPath,
  ],
  logLevel: 'warning',
});

/**
 * esbuild turns a CommonJS module into an ES namespace (`__toESM`) once per module that imports it: 65
 * times for React, 27 for its JSX runtime, each copying every export into a new object of getters
 * (~10 ms of CPU of every start). The bundle makes each module's namespace once. The namespaces are
 * read only and their getters read the module's exports live; only the set of names is taken when
 * it is made, and the CommonJS modules in the bundle (React, its reconciler, scheduler and a few
 * small packages) have all their exports by the time anything imports them (none imports the
 * bundle's ES modules back).
 */
const bundlePath = 'dist/tui/run.bundle.cjs';
const toEsm = 'var __toESM = (mod, isNodeMode, target) => (';
const bundled = await readFile(bundlePath, 'latin1');
if (!bundled.includes(toEsm)) throw new Error(`bundle-tui: esbuild's helper no longer reads ${toEsm}`);
await writeFile(
  bundlePath,
  bundled.replace(
    toEsm,
    [
      'var __esmNamespaces = new WeakMap();',
      'var __toESM = (mod, isNodeMode) => {',
      '  if (!isNodeMode || mod === null || (typeof mod !== "object" && typeof mod !== "function")) return __toESMEach(mod, isNodeMode);',
      '  let namespace = __esmNamespaces.get(mod);',
      '  if (namespace === void 0) __esmNamespaces.set(mod, namespace = __toESMEach(mod, isNodeMode));',
      '  return namespace;',
      '};',
      'var __toESMEach = (mod, isNodeMode, target) => (',
    ].join('\n'),
  ),
  'latin1',
);

// tui/bundle-loader.ts reads the bundle as latin1, which is only its text when every byte is ASCII
// (esbuild's default charset escapes the rest).
const nonAscii = (await readFile('dist/tui/run.bundle.cjs')).findIndex((byte) => byte > 0x7f);
if (nonAscii !== -1) throw new Error(`bundle-tui: dist/tui/run.bundle.cjs is not ASCII (byte ${nonAscii})`);

/**
 * dist/tui/run.bundle.js: the same bundle as an ES module with Yoga ready, for the tests and benches that
 * import the TUI's parts (`cortex tui` itself loads the script above through its code cache).
 */
// esbuild's metafile lists no exports for CommonJS output; the module itself does (loading it runs nothing).
const names = Object.keys(createRequire(import.meta.url)(resolve('dist/tui/run.bundle.cjs'))).filter(
  (name) => name !== 'initYoga',
);
await writeFile(
  'dist/tui/run.bundle.js',
  [
    "import { createRequire } from 'node:module';",
    "const bundle = createRequire(import.meta.url)('./run.bundle.cjs');",
    'await bundle.initYoga();',
    `export const { ${names.join(', ')} } = bundle;`,
    '',
  ].join('\n'),
);
