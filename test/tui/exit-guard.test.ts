import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { processesMatching, whenGone } from '../helpers/processes.js';

const run = promisify(execFile);
const helpers = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);

/**
 * A test file that ends without its clean-up (as when the runner cancels a
 * test past its timeout and the `after` hooks never run): it starts a daemon
 * and `cortex tui` in tmux against it, prints where they are, and exits.
 */
const abandoningFile = `
  import { CORTEX_BIN, startDaemon } from ${helpers('../helpers/daemon.js')};
  import { TmuxScreen } from ${helpers('./helpers/tmux.js')};
  const daemon = await startDaemon();
  const screen = await TmuxScreen.start([process.execPath, CORTEX_BIN, '--home', daemon.home, 'tui'], { width: 80, height: 24 });
  await screen.waitForScreen((text) => text.includes('● connected'), 'the workbench');
  process.stdout.write(JSON.stringify({ home: daemon.home, socket: screen.socket}));
  process.exit(1);
`;

describe('a test file that exits without cleaning up', () => {
  it('leaves no daemon, tmux server or TUI running', async () => {
    const failed = await run(process.execPath, ['--input-type=module', '-e', abandoningFile]).then(
      () => assert.fail('the file was meant to exit with 1'),
      (error: { code: number; stdout: string }) => error,
    );
    assert.equal(failed.code, 1);
    const { home, socket } = JSON.parse(failed.stdout) as { home: string; socket: string };
    try {
      // The daemon's command line and the TUI's both name the home.
      await whenGone(`--home ${home}`);
      assert.deepEqual(processesMatching(`-L ${socket}`), []);
      await assert.rejects(run('tmux', ['-L', socket, 'list-sessions']), 'the tmux server is gone');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
