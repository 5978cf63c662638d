import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Run from '../tui/run.js';

/**
 * The Chat tab's Markdown renderer (tui/state/markdown.ts) on a 500-line
 * reply, against the anchor measured in the same run: the plain hard wrap the
 * Events tab gives the same text (wrapText). Both from the bundle `cortex tui`
 * loads. Also the bytes the renderer adds to that bundle, and the bundle's
 * import time. One of `npm run bench`'s extras (`BENCH_EXTRAS=markdown`), or
 * alone: `node dist/bench/markdown.js`.
 */
const BUNDLE = fileURLToPath(new URL('../tui/run.bundle.js', import.meta.url));
const RENDERER = fileURLToPath(new URL('../tui/state/markdown.js', import.meta.url));
const WIDTH = 76;
const ROUNDS = Number(process.env['BENCH_MD_ROUNDS'] ?? 200);

/** A reply as agents write them: headings, lists, code, inline code and bold, 500 lines. */
function reply(lines: number): string {
  const block = [
    '## Step',
    'The change moves `parseConfig` into its own module and keeps **every** caller working as before.',
    '- first, the loader reads `config.toml` and checks each key',
    '  1. nested: a key it does not know is an error with the line number',
    '> a quoted note from the issue',
    '```ts',
    'export function parseConfig(text: string): Config {',
    '  return validate(toml.parse(text));',
    '}',
    '```',
  ];
  return Array.from({ length: lines }, (_, index) => block[index % block.length]).join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timed(run: () => unknown): number {
  for (let warm = 0; warm < 20; warm++) run();
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

const started = process.hrtime.bigint();
const tui = (await import(pathToFileURL(BUNDLE).href)) as typeof Run;
const importMs = Number(process.hrtime.bigint() - started) / 1e6;
const text = reply(500);
const markdown = timed(() => tui.markdownLines(text, WIDTH));
const plain = timed(() => tui.wrapText(text, WIDTH));
const rendered = tui.markdownLines(text, WIDTH).length;
console.log(`markdown renderer, 500-line reply at ${WIDTH} columns (${rendered} screen lines), median of ${ROUNDS}:`);
console.log(
  `  markdownLines ${markdown.toFixed(3)} ms · wrapText (anchor) ${plain.toFixed(3)} ms · ratio ${(markdown / plain).toFixed(1)}x`,
);
console.log(
  `  bundle ${(statSync(BUNDLE).size / 1024).toFixed(0)} KB, imported in ${importMs.toFixed(0)} ms; the renderer is ${readFileSync(RENDERER).length} bytes of it before minifying`,
);
