import assert from 'node:assert/strict';
import { chmodSync, existsSync, type FSWatcher, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gitScript } from '../../daemon/workspace/git.js';
import { ADD_AND_WRITE_TREE } from '../../daemon/workspace/snapshots.js';
import { tempDir } from '../helpers/daemon.js';
import { bounded } from '../protocol/raw-client.js';

const TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * The snapshot's `git add` and `git write-tree` run in one `sh -c`. What the real git cannot be made to do on
 * demand (fail to read a file, break, hang) is done by stand-in `git` programs first on PATH; the script, the
 * shell and the daemon's side are the real ones.
 */
describe('the snapshot script (add and write-tree in one shell)', () => {
  const dir = tempDir('cortex-git-script-');
  const path = process.env['PATH'];

  /** A directory holding a stand-in `git` whose `add` runs `add` (shell) and whose `write-tree` prints TREE. */
  function standIn(name: string, add: string): string {
    const bin = join(dir.path, name);
    mkdirSync(bin);
    const script = `#!/bin/sh\ncase "$*" in\n  *" add "*) ${add} ;;\n  *write-tree*) echo ${TREE} ;;\nesac\n`;
    writeFileSync(join(bin, 'git'), script);
    chmodSync(join(bin, 'git'), 0o755);
    return bin;
  }

  const run = (bin: string, timeoutMs?: number) => {
    process.env['PATH'] = `${bin}:${path}`;
    return gitScript(ADD_AND_WRITE_TREE, { cwd: dir.path, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  };

  /** Stand-in processes that may outlive a failed test: each writes its pid to `git.up`. */
  const started: string[] = [];
  after(() => {
    process.env['PATH'] = path;
    for (const file of started.filter((up) => existsSync(up))) {
      for (const pid of readFileSync(file, 'utf8').trim().split(' ')) {
        try {
          process.kill(Number(pid));
        } catch {
          // Already gone, as it should be.
        }
      }
    }
    dir.remove();
  });

  it('writes the tree when the add left out a file it could not read (exit 1)', async () => {
    const bin = standIn('unreadable', 'echo "error: open(secret): Permission denied" >&2; exit 1');
    const { stdout } = await run(bin);
    assert.equal(stdout.toString('utf8').trim(), TREE);
  });

  it("fails with the add's own code and reason when the add fails, and writes no tree", async () => {
    const bin = standIn('broken', 'echo "fatal: index file corrupt" >&2; exit 128');
    await assert.rejects(run(bin), {
      code: 'EINTERNAL',
      message: 'git add and write-tree failed (exit 128): fatal: index file corrupt.',
    });
  });

  it('ends a hung add when the timeout ends the shell, so it does not go on holding the index', async () => {
    const bin = standIn(
      'hung',
      `trap 'echo ended > "$0.ended"; kill "$nap"; exit 143' TERM; sleep 600 & nap=$!; echo "$$ $nap" > "$0.up"; wait "$nap"`,
    );
    const ended = join(bin, 'git.ended');
    started.push(join(bin, 'git.up'));
    let watcher: FSWatcher | undefined;
    const sawEnd = new Promise<void>((resolve) => {
      watcher = watch(bin, () => {
        if (existsSync(ended)) resolve();
      });
    });
    try {
      // Were the add left running, it would hold the shell's output open and the call would never end.
      await assert.rejects(bounded(run(bin, 2000), 'the timed-out call to end', 10_000), { code: 'EINTERNAL' });
      assert.ok(existsSync(join(bin, 'git.up')), 'the add had started');
      await bounded(sawEnd, 'the hung add to be ended', 10_000);
    } finally {
      watcher?.close();
    }
    assert.equal(readFileSync(ended, 'utf8'), 'ended\n');
  });
});
