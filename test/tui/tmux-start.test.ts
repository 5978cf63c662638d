import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CORTEX_BIN } from '../helpers/daemon.js';
import { TmuxScreen } from './helpers/tmux.js';
import { tuiSuite } from './helpers/tui-suite.js';

/**
 * `cortex tui`'s start as CORTEX_TUI_TRACE records it, in tmux against a real
 * daemon: the steps bench/tui.ts reads, in the order they happen, each with
 * the process's wall and CPU milliseconds so far.
 */
describe('cortex tui start-up trace', () => {
  const suite = tuiSuite('cortex-tui-start-', 'project', 'hi');
  const trace = join(suite.work.path, 'trace');

  it('records each step with its wall and CPU milliseconds, in order, up to the frame with the tree, on one connection', async () => {
    suite.screen = await TmuxScreen.start(
      ['env', `CORTEX_TUI_TRACE=${trace}`, process.execPath, CORTEX_BIN, '--home', suite.daemon.home, 'tui'],
      { width: 100, height: 30 },
    );
    await suite.screen.waitForScreen((text) => text.includes('● connected') && text.includes('○ fake'), 'the tree');
    // The tree's lists are asked for on the connection begun while the TUI loads, not on one of their own.
    const { connections } = await suite.control.call('status', {});
    assert.equal(connections, 2, "this test's connection and the TUI's one");
    await suite.screen.press('q');
    assert.equal(await suite.screen.waitForExit(), 0);

    const steps = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .map(([step, wall, cpu]) => ({ step: step!, wall: Number(wall), cpu: Number(cpu) }));
    const names = steps.map(({ step }) => step);
    const at = (step: string) => names.indexOf(step);
    assert.equal(names[0], 'cli', names.join(' '));
    // The lists are asked for while the bundle loads: they may come in before it has loaded, or after.
    assert.ok(at('lists') > at('cli'), names.join(' '));
    assert.ok(at('frame') > at('bundle') && at('connected') > at('bundle'), names.join(' '));
    assert.ok(names.lastIndexOf('frame') > at('lists'), `a frame after the lists: ${names.join(' ')}`);
    for (let index = 1; index < steps.length; index++) {
      const [before, step] = [steps[index - 1]!, steps[index]!];
      assert.ok(step.wall >= before.wall && step.cpu >= before.cpu, `${before.step} then ${step.step}`);
    }
    assert.ok(steps[0]!.cpu > 0 && steps[0]!.wall > 0, 'node has started by the CLI step');
  });
});
