import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const moduleUrl = new URL('../../tui/young-generation.js', import.meta.url).href;

/**
 * A workload like a TUI redrawing large frames: a steady stream of small
 * objects, a window of which survives a few collections. Prints the largest
 * young generation V8 gave it, in MB. The flags are the process's own, so each
 * case runs in a child of its own.
 */
function workload(capped: boolean): string {
  return `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { growYoungGenerationToLimit, holdYoungGeneration } from ${JSON.stringify(moduleUrl)};
    if (${capped}) { holdYoungGeneration(); growYoungGenerationToLimit(); }
    const young = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size;
    const window = new Array(60000);
    let largest = young();
    for (let batch = 0; batch < 400; batch++) {
      for (let i = 0; i < 2000; i++) window[(batch * 2000 + i) % window.length] = { i, text: 'row ' + batch + ' ' + i, cells: [i, i + 1] };
      largest = Math.max(largest, young());
      await new Promise((resolve) => setImmediate(resolve));
    }
    process.stdout.write(String(largest / 2 ** 20));
  `;
}

async function largestYoungGeneration(capped: boolean): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', workload(capped)]);
  return Number(stdout);
}

describe('the TUI young generation', () => {
  it('stays at 16 MB where V8 alone grows it further on the same allocations', async () => {
    const uncapped = await largestYoungGeneration(false);
    assert.ok(
      uncapped > 16,
      `the workload must make V8 grow the young generation past 16 MB (it reached ${uncapped} MB)`,
    );
    assert.equal(await largestYoungGeneration(true), 16);
  });
});
