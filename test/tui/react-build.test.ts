import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const TUI_INDEX = fileURLToPath(new URL('../../tui/index.js', import.meta.url));

/**
 * In a fresh node: imports tui/index.js, then calls runTui and reports the
 * first React build that loads (exiting right there, before anything draws).
 */
const PROBE = `
import Module from 'node:module';
const { runTui } = await import(${JSON.stringify(TUI_INDEX)});
const loadedEarly = Object.keys(Module._cache).filter((path) => /node_modules[\\\\/](react|ink)[\\\\/]/.test(path));
const load = Module._load;
Module._load = function (request, ...rest) {
  const match = /cjs[\\\\/]react\\.(production|development)\\.js$/.exec(request);
  if (match) {
    process.stdout.write(JSON.stringify({ build: match[1], env: process.env.NODE_ENV ?? null, loadedEarly }));
    process.exit(0);
  }
  return load.call(this, request, ...rest);
};
await runTui({ connect: () => new Promise(() => {}), cwd: '/' });
`;

function probe(
  env: Record<string, string | undefined>,
): Promise<{ build: string; env: string | null; loadedEarly: string[] }> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    if (env['NODE_ENV'] === undefined) delete childEnv['NODE_ENV'];
    execFile(process.execPath, ['--input-type=module', '-e', PROBE], { env: childEnv }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as { build: string; env: string | null; loadedEarly: string[] });
    });
  });
}

describe('the React build cortex tui runs', () => {
  it("is React's production build unless NODE_ENV asks otherwise, and loads only when the TUI starts", async () => {
    // React's development build records every render, with a diff of its props, in the
    // performance timeline, and Node keeps those entries: scrolling a session of 50,000
    // events took the TUI to 3.6 GB and seconds per frame.
    assert.deepEqual(await probe({ NODE_ENV: undefined }), { build: 'production', env: 'production', loadedEarly: [] });
    assert.deepEqual(await probe({ NODE_ENV: 'development' }), {
      build: 'development',
      env: 'development',
      loadedEarly: [],
    });
  });
});
