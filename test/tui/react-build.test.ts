import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const TUI_INDEX = fileURLToPath(new URL('../../tui/index.js', import.meta.url));

/**
 * In a fresh node: imports tui/index.js, then calls runTui and reports, on
 * the first frame Ink draws, which React build loaded from node_modules
 * ('bundled' when none did: the bundle carries its own). Standard input
 * plays a terminal, or Ink refuses to start without raw mode.
 */
const PROBE = `
import Module from 'node:module';
const { runTui } = await import(${JSON.stringify(TUI_INDEX)});
const loadedEarly = Object.keys(Module._cache).filter((path) => /node_modules[\\\\/](react|ink)[\\\\/]/.test(path));
let build = 'bundled';
const load = Module._load;
Module._load = function (request, ...rest) {
  const match = /cjs[\\\\/]react\\.(production|development)\\.js$/.exec(request);
  if (match) build = match[1];
  return load.call(this, request, ...rest);
};
process.stdin.isTTY = true;
process.stdin.setRawMode = () => process.stdin;
process.stdout.write = (chunk) => {
  const drew = /connecting/.test(String(chunk));
  process.stderr.write(JSON.stringify({ build, env: process.env.NODE_ENV ?? null, loadedEarly, drew }));
  process.exit(0);
};
await runTui({ connect: () => new Promise(() => {}), cwd: '/' }, '/proc/cortex-no-cache');
`;

function probe(
  env: Record<string, string | undefined>,
): Promise<{ build: string; env: string | null; loadedEarly: string[]; drew: boolean }> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    if (env['NODE_ENV'] === undefined) delete childEnv['NODE_ENV'];
    execFile(process.execPath, ['--input-type=module', '-e', PROBE], { env: childEnv }, (error, _stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stderr) as { build: string; env: string | null; loadedEarly: string[]; drew: boolean });
    });
  });
}

describe('the React build cortex tui runs', () => {
  it("is the bundle (React's production build inside) unless NODE_ENV asks for development, and loads only when the TUI starts", async () => {
    // React's development build records every render, with a diff of its props, in the
    // performance timeline, and Node keeps those entries: scrolling a session of 50,000
    // events took the TUI to 3.6 GB and seconds per frame.
    assert.deepEqual(await probe({ NODE_ENV: undefined }), {
      build: 'bundled',
      env: 'production',
      loadedEarly: [],
      drew: true,
    });
    assert.deepEqual(await probe({ NODE_ENV: 'development' }), {
      build: 'development',
      env: 'development',
      loadedEarly: [],
      drew: true,
    });
  });

  it('bundles no development build of React', () => {
    const bundle = readFileSync(fileURLToPath(new URL('../../tui/run.bundle.cjs', import.meta.url)), 'utf8');
    // Each development build announces itself in a warning the production builds leave out.
    assert.doesNotMatch(bundle, /react\.development|react-reconciler\.development/);
    assert.match(bundle, /useInput/);
  });
});
