import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiffHunk } from '../../src/protocol/workspace-types.js';
import { parsePatch, parseRawNumstat, type RawChange } from './diff-parse.js';
import { KeyedQueue } from './keyed-queue.js';
import { git, gitScript } from './git.js';
import { RepositoryCache } from './repository-cache.js';

/** Patch text beyond this is not sent: later files come without hunks. */
export const MAX_PATCH_BYTES = 8 * 1024 * 1024;

/**
 * `git add` (exit 1: a file could not be read and is left out) then `git write-tree`. The add runs as a job
 * the shell waits for, so that a TERM (the timeout) reaches it: it would go on holding the shadow's index.
 */
export const ADD_AND_WRITE_TREE = {
  name: 'add and write-tree',
  text: [
    `trap 'kill "$add" 2>/dev/null; exit 143' TERM`,
    'git "$@" add --all --ignore-errors . & add=$!',
    'wait "$add"; code=$?',
    '[ "$code" -le 1 ] || exit "$code"',
    'exec git "$@" write-tree',
  ].join('\n'),
};

export interface TreeDiff {
  changes: RawChange[];
  hunks: Map<string, DiffHunk[]>;
  truncated: boolean;
}

/**
 * Snapshots of workspaces as git trees, in a shadow repository per workspace
 * that belongs to Cortex (`DATA/snapshots/WORKSPACE/`). A snapshot is `git add
 * -A` into the shadow's own index followed by `git write-tree`, with the
 * workspace as the work tree: the user's index, stash, branches and refs are
 * never touched, and nothing is written into their repository. The shadow
 * borrows the repository's objects (`objects/info/alternates`), so only new
 * content is stored, and it never reads the repository's configuration, so no
 * hook, filter or external diff the repository names runs. It honours the
 * work tree's `.gitignore` files and the repository's `info/exclude`; outside
 * git, `node_modules` is left out. The shadow index persists between
 * snapshots, so unchanged files are not hashed again. Work on one workspace is
 * serialised, because it shares that index.
 */
export class SnapshotStore {
  private readonly queue = new KeyedQueue();
  private readonly repositories = new RepositoryCache();

  constructor(private readonly directory: string) {}

  /** The tree of the workspace as it is on disk now. */
  snapshot(workspace: string, path: string): Promise<string> {
    return this.queue.run(workspace, async () => {
      const env = await this.prepare(workspace, path);
      const { stdout } = await gitScript(ADD_AND_WRITE_TREE, { cwd: path, env });
      return stdout.toString('utf8').trim();
    });
  }

  /** The changes between two trees, with hunks when `patch` is set. */
  async diff(workspace: string, path: string, from: string, to: string, patch: boolean): Promise<TreeDiff> {
    const env = await this.prepare(workspace, path);
    const base = ['diff-tree', '-r', '-M', '--no-ext-diff', '--no-textconv'];
    const raw = await git([...base, '-z', '--raw', '--numstat', from, to], { env });
    const changes = parseRawNumstat(raw.stdout.toString('utf8'));
    if (!patch || changes.length === 0) return { changes, hunks: new Map(), truncated: false };
    const text = await git([...base, '-p', '--no-color', from, to], { env, maxBytes: MAX_PATCH_BYTES });
    return { changes, hunks: parsePatch(text.stdout.toString('utf8'), !text.truncated), truncated: text.truncated };
  }

  /** A blob's bytes (from the shadow or the repository it borrows from). */
  async blob(workspace: string, path: string, id: string): Promise<Buffer> {
    const env = await this.prepare(workspace, path);
    return (await git(['cat-file', 'blob', id], { env })).stdout;
  }

  /** Creates the shadow repository the first time, and points it at the workspace's repository every time. */
  private async prepare(workspace: string, path: string): Promise<Record<string, string>> {
    const shadow = join(this.directory, workspace);
    if (!existsSync(join(shadow, 'HEAD'))) {
      mkdirSync(this.directory, { recursive: true, mode: 0o700 });
      await git(['init', '--quiet', '--bare', shadow]);
      await git(['config', 'core.bare', 'false'], { env: { GIT_DIR: shadow } });
    }
    const repository = await this.repositories.find(path);
    const alternates = repository ? `${join(repository.commonDir, 'objects')}\n` : '';
    const exclude = repository ? readOrEmpty(join(repository.commonDir, 'info', 'exclude')) : 'node_modules/\n';
    writeIfChanged(join(shadow, 'objects', 'info', 'alternates'), alternates);
    writeIfChanged(join(shadow, 'info', 'exclude'), exclude);
    return { GIT_DIR: shadow, GIT_WORK_TREE: path, GIT_INDEX_FILE: join(shadow, 'index') };
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function writeIfChanged(path: string, content: string): void {
  if (readOrEmpty(path) === content && (content !== '' || existsSync(path))) return;
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}
