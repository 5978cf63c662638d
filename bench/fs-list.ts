import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FsListResult } from '../src/protocol/workspace-types.js';
import { median, startBenchDaemon } from './bench-daemon.js';

export interface FsListBenchResult {
  files: number;
  directories: number;
  /** Milliseconds, median: fs_list of the root (the directories). */
  root: number;
  /** fs_list of one directory of `perDirectory` files. */
  directory: number;
  perDirectory: number;
  /** fs_list of every directory in turn: the whole tree, one call per directory. */
  walk: number;
  /** The same walk in-process (readdir with file types, then lstat of each entry), the anchor. */
  walkInProcess: number;
  /** walk / walkInProcess. */
  ratio: number;
  /** inotify watches the daemon held with a subscriber of fs: that had listed every directory. */
  watches: number;
}

/**
 * fs_list of a 100,000-file tree (a git work tree with a .gitignore, 100
 * directories of 1,000 files): the root, one directory, and a walk of all of
 * them, each entry with its type, size, mtime and whether git ignores it;
 * beside the same walk done in-process with readdir and lstat (no RPC, no
 * ignore check) measured in the same run. Then the cost of watching: a
 * subscriber of `fs:` that lists every directory, and the inotify watches the
 * daemon ends up holding (bounded by `watch_max_watches`).
 */
export async function runFsListBench(options: { directories?: number; perDirectory?: number; runs?: number } = {}) {
  const directories = options.directories ?? 100;
  const perDirectory = options.perDirectory ?? 1000;
  const runs = options.runs ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'cortex-bench-fs-'));
  try {
    execFileSync('git', ['init', '--quiet', dir]);
    writeFileSync(join(dir, '.gitignore'), '*.log\n');
    for (let d = 0; d < directories; d++) {
      const sub = join(dir, `dir-${String(d).padStart(3, '0')}`);
      mkdirSync(sub);
      for (let f = 0; f < perDirectory; f++) writeFileSync(join(sub, `file-${f}.${f % 10 === 0 ? 'log' : 'txt'}`), '');
    }
    const names = readdirSync(dir).filter((name) => name.startsWith('dir-'));
    const daemon = await startBenchDaemon();
    try {
      const { client } = daemon;
      const { workspace } = await client.call('workspace_add', { path: dir });
      const time = async (work: () => Promise<unknown>) => {
        const samples: number[] = [];
        for (let run = 0; run < runs; run++) {
          const start = process.hrtime.bigint();
          await work();
          samples.push(Number(process.hrtime.bigint() - start) / 1e6);
        }
        return median(samples);
      };
      const list = (path: string): Promise<FsListResult> =>
        client.call('fs_list', { workspace: workspace.id, path, limit: 100_000 });
      const root = await time(() => list('.'));
      const directory = await time(() => list(names[0]!));
      let listed = 0;
      const walk = await time(async () => {
        listed = 0;
        for (const name of names) listed += (await list(name)).entries.length;
      });
      if (listed !== directories * perDirectory) throw new Error(`listed ${listed} entries`);
      const walkInProcess = await time(() => {
        for (const name of names) {
          for (const entry of readdirSync(join(dir, name), { withFileTypes: true }))
            lstatSync(join(dir, name, entry.name));
        }
        return Promise.resolve();
      });

      const watcher = await daemon.connect();
      await watcher.call('subscribe', { topic: `fs:${workspace.id}` });
      for (const name of names) await watcher.call('fs_list', { workspace: workspace.id, path: name, limit: 1 });
      const watches = inotifyWatches(daemon.process.pid!);
      watcher.close();
      return {
        files: directories * perDirectory,
        directories,
        root,
        directory,
        perDirectory,
        walk,
        walkInProcess,
        ratio: walk / walkInProcess,
        watches,
      } satisfies FsListBenchResult;
    } finally {
      await daemon.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function inotifyWatches(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (!readlinkSync(`/proc/${pid}/fd/${fd}`).includes('inotify')) continue;
      count += (readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? []).length;
    } catch {
      // Closed while we looked.
    }
  }
  return count;
}

function report(result: FsListBenchResult): void {
  console.log(`fs_list of a ${result.files.toLocaleString('en')}-file git work tree (median)`);
  console.log(`  root (${result.directories} directories)          ${result.root.toFixed(1)} ms`);
  console.log(`  one directory (${result.perDirectory} files)      ${result.directory.toFixed(1)} ms`);
  console.log(`  whole tree, ${result.directories} calls            ${result.walk.toFixed(0)} ms`);
  console.log(`  same walk in-process (readdir+lstat) ${result.walkInProcess.toFixed(0)} ms`);
  console.log(`  ratio fs_list / in-process           ${result.ratio.toFixed(2)}`);
  console.log(`  inotify watches, every directory listed by a subscriber: ${result.watches}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  report(await runFsListBench());
}
