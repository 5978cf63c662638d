import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/daemon.js';
import { eventually } from '../mesh/mesh-helpers.js';

const GUARDED = fileURLToPath(new URL('../fixtures/guarded-daemon.js', import.meta.url));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A test process ended by a signal (`timeout`, Ctrl-C) runs no `exit`
 * handler: the daemons it started used to keep running after it.
 */
describe("a test process's exit guard", () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`ends the daemons the process started when it is killed with ${signal}`, async () => {
      const home = tempDir('cortex-guard-');
      let daemonPid: number | undefined;
      const child = spawn(process.execPath, [GUARDED, home.path], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
        const pid = Number(line.trim());
        daemonPid = pid;
        assert.ok(Number.isSafeInteger(pid) && pid > 0 && isRunning(pid), `the daemon runs (pid ${line.trim()})`);
        const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
        child.kill(signal);
        const [code, diedOf] = await exited;
        assert.deepEqual([code, diedOf], [null, signal], 'the process still dies of the signal');
        // The daemon was the dead process's child: no exit event reaches this one, so its pid is watched.
        await eventually(`the daemon (pid ${pid}) to end`, () => (isRunning(pid) ? undefined : true), 10_000);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        // When the guard failed, the daemon is this test's to end.
        if (daemonPid !== undefined && isRunning(daemonPid)) process.kill(daemonPid, 'SIGKILL');
        home.remove();
      }
    });
  }
});
