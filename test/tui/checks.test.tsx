import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../helpers/daemon.js';
import { renderApp } from './helpers/app.js';
import type { Rendered } from './helpers/frames.js';
import { tui } from './helpers/shipped.js';

const { checkRows, resultSummary } = tui;

describe('check rows', () => {
  const result = (command: string, started: number, ok: boolean) => ({
    command,
    exit_code: ok ? 0 : 2,
    signal: null,
    ok,
    duration_ms: 1500,
    started,
    tail: '',
  });

  it('lists every configured check with its newest result, then results of checks no longer configured', () => {
    const rows = checkRows(
      ['npm test', 'npm run lint'],
      [result('npm test', 20, true), result('npm test', 10, false), result('make old', 5, false)],
    );
    assert.deepEqual(
      rows.map((row) => `${row.command}: ${resultSummary(row.last)}`),
      ['npm test: ✓ 1.5s', 'npm run lint: · not run', 'make old: ✗ exit 2 1.5s'],
    );
  });
});

/** The Checks tab in the whole App, against a real daemon running real check commands. */
describe('Checks tab against a real daemon', () => {
  const work = tempDir('cortex-tui-checks-');
  const workspacePath = join(work.path, 'checked');
  let daemon: DaemonHandle;
  let control: Client;
  let workspace: string;
  let app: Rendered;

  before(async () => {
    mkdirSync(workspacePath);
    daemon = await startDaemon();
    control = await daemon.connect();
    await control.call('project_add', {
      name: 'checked',
      checks: ['echo all-good', "sh -c 'echo broken-output; exit 3'"],
    });
    ({
      workspace: { id: workspace },
    } = await control.call('workspace_add', { path: workspacePath, project: 'checked' }));
    app = renderApp(daemon.socket, workspacePath);
  });

  after(async () => {
    app?.unmount();
    control?.close();
    await cleanup(daemon);
    work.remove();
  });

  it('lists the configured checks, runs them with r and shows each result and the output tail', async () => {
    await app.waitFor((text) => text.includes('/checked│'), 'the workspace in the tree');
    // node, project, workspace: the workspace is the third row.
    await app.press('j', 'j', '5');
    let frame = await app.waitFor((text) => text.includes('· not run'), 'the checks, not run yet');
    assert.match(frame, /· not run +echo all-good/);
    assert.match(frame, /· not run +sh -c 'echo broken-output; exit 3'/);
    await app.press('r');
    // Results stream in as each check ends; the notice comes when the run is over.
    frame = await app.waitFor((text) => text.includes('1 of 2 check(s) failed'), 'the results');
    assert.match(frame, /✓ \d+\.\ds +echo all-good/);
    assert.match(frame, /✗ exit 3 \d+\.\ds +sh -c/);
    assert.match(frame, /all-good/);
    await app.press('j');
    await app.waitFor((text) => text.includes('broken-output'), "the failed check's output");
  });

  it('shows results of checks someone else runs in the workspace', async () => {
    await control.call('project_add', { name: 'checked', checks: ['echo all-good', 'echo fixed-now'] });
    const { results } = await control.call('check_run', { workspace });
    assert.equal(results.length, 2);
    await app.waitFor((text) => /✓ \d+\.\ds +echo fixed-now/.test(text), 'the result of a run by another client');
  });
});
