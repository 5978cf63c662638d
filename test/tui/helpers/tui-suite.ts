import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Client } from '../../../src/client/client.js';
import { cleanup, type DaemonHandle, startDaemon, tempDir } from '../../helpers/daemon.js';
import { finishedFakeSession } from '../../helpers/session-watch.js';
import type { TmuxScreen } from './tmux.js';

/** What a suite of `cortex tui` in tmux works with: set up by its `before`, all of it ended by its `after`. */
export class TuiSuite {
  readonly work: { path: string; remove: () => void };
  daemon!: DaemonHandle;
  /** The test's own connection to the daemon. */
  control!: Client;
  /** The TUI a test started, if any: killed after the suite. */
  screen: TmuxScreen | undefined;

  constructor(prefix: string) {
    this.work = tempDir(prefix);
  }
}

/** A daemon with one finished fake session (its workspace `work/<project>`, its reply to `prompt`), for a suite of TUI tests. */
export function tuiSuite(prefix: string, project: string, prompt: string): TuiSuite {
  const suite = new TuiSuite(prefix);
  before(async () => {
    const path = join(suite.work.path, project);
    mkdirSync(path);
    suite.daemon = await startDaemon();
    suite.control = await suite.daemon.connect();
    await finishedFakeSession(suite.control, path, prompt);
  });
  after(async () => {
    await suite.screen?.kill();
    (suite.control as Client | undefined)?.close();
    if ((suite.daemon as DaemonHandle | undefined) !== undefined) await cleanup(suite.daemon);
    suite.work.remove();
  });
  return suite;
}
