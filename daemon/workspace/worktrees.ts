import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { basename, dirname, join, relative, sep } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { Session, Workspace } from '../../src/protocol/runtime-types.js';
import type { WorktreeInfo } from '../../src/protocol/workspace-types.js';
import type { Authority } from '../access/authority.js';
import type { Identity } from '../identity/identity.js';
import type { SystemUser } from '../identity/system-user.js';
import { KeyedQueue } from './keyed-queue.js';
import { git, GitError, gitDirs } from './git.js';

/** The folder, inside a repository's git directory, that holds the worktrees Cortex makes. */
export const WORKTREE_FOLDER = 'cortex-worktrees';

/** What worktrees need of the runtime. */
export interface WorktreeRuntime {
  resolve(ref: string, identity: Identity): Workspace;
  list(identity: Identity): Workspace[];
  add(path: string, project: string, identity: Identity): Promise<Workspace>;
  remove(id: string, identity: Identity): Promise<void>;
  /** Every session in a workspace, whoever owns it. */
  sessionsIn(workspace: string): Session[];
}

/**
 * Sessions in their own git worktree, so several agents can change one
 * repository at once. A worktree is made on a new branch `cortex/NAME` from
 * HEAD, in the repository's git directory (`.git/cortex-worktrees/NAME`): out
 * of the work tree, so it shows in no listing or `git status` of the main
 * checkout, and it goes when the repository goes. It is registered as a
 * workspace of the same project. Git runs as the caller where the daemon is
 * root, so the files belong to whoever asked; hooks do not run.
 */
export class Worktrees {
  /** git worktree commands on one repository, one at a time: concurrent `worktree add`s trip over each other. */
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly runtime: WorktreeRuntime,
    private readonly authority: Authority,
  ) {}

  /** Makes a worktree of the workspace's repository and returns its workspace. */
  async create(ref: string, identity: Identity): Promise<Workspace> {
    const parent = this.runtime.resolve(ref, identity);
    const runAs = this.authority.runAs(identity);
    const repository = await gitDirs(parent.path);
    if (repository === undefined) {
      throw new CortexError('EINVAL', `${parent.path} is not in a git repository, so it cannot have a worktree.`);
    }
    const name = `${slug(basename(repository.topLevel))}-${randomBytes(3).toString('hex')}`;
    const path = join(repository.commonDir, WORKTREE_FOLDER, name);
    const branch = `cortex/${name}`;
    try {
      await this.queue.run(repository.commonDir, () =>
        git(['worktree', 'add', '--quiet', '-b', branch, path, 'HEAD'], {
          cwd: parent.path,
          runAs,
        }),
      );
    } catch (error) {
      const reason = error instanceof GitError ? error.reason : String(error);
      throw new CortexError('EINVAL', `No worktree could be made from ${parent.path}: ${reason}`);
    }
    // A workspace in a subdirectory of its repository gets the same subdirectory of the worktree.
    const inside = relative(repository.topLevel, parent.path);
    return this.runtime.add(inside ? join(path, inside) : path, parent.project, identity);
  }

  async list(identity: Identity, ref?: string): Promise<WorktreeInfo[]> {
    const visible = this.runtime.list(identity);
    const only = ref === undefined ? undefined : this.runtime.resolve(ref, identity);
    const worktrees = visible.filter((workspace) => isCortexWorktree(workspace.path));
    const out: WorktreeInfo[] = [];
    for (const workspace of worktrees) {
      const info = await this.describe(workspace, visible, identity);
      if (only === undefined || only.id === info.workspace || only.id === info.parent) out.push(info);
    }
    return out;
  }

  /**
   * Removes a worktree whose sessions have all stopped. Uncommitted or
   * untracked changes refuse it (ECONFLICT) unless `force`; its branch is kept,
   * since it holds whatever the session committed.
   */
  async remove(ref: string, force: boolean, identity: Identity): Promise<{ branch: string | null }> {
    const workspace = this.runtime.resolve(ref, identity);
    if (!isCortexWorktree(workspace.path)) {
      throw new CortexError('EINVAL', `${workspace.path} is not a worktree made by Cortex.`);
    }
    const live = this.runtime.sessionsIn(workspace.id).filter((session) => session.status !== 'stopped');
    if (live.length > 0) {
      throw new CortexError(
        'EBUSY',
        `Session ${live[0]!.id} still works in ${workspace.path} (${live[0]!.status}); stop it first (cortex session stop ${live[0]!.id}).`,
      );
    }
    const runAs = this.authority.runAs(identity);
    const top = worktreeTop(workspace.path);
    const dirty = await dirtyCount(top, runAs);
    if (dirty > 0 && !force) {
      throw new CortexError(
        'ECONFLICT',
        `The worktree ${top} has ${dirty} uncommitted change(s); commit them, or remove it anyway with --force.`,
      );
    }
    const branch = await currentBranch(top);
    await this.queue.run(dirname(dirname(top)), () =>
      git(['worktree', 'remove', ...(force ? ['--force'] : []), top], { cwd: repositoryOf(top), runAs }),
    );
    await this.runtime.remove(workspace.id, identity);
    return { branch };
  }

  private async describe(workspace: Workspace, visible: Workspace[], identity: Identity): Promise<WorktreeInfo> {
    const top = worktreeTop(workspace.path);
    const repository = repositoryOf(top);
    const parent = visible.find(
      (candidate) => !isCortexWorktree(candidate.path) && isWithin(repository, candidate.path),
    );
    return {
      workspace: workspace.id,
      path: workspace.path,
      branch: await currentBranch(top),
      parent: parent?.id ?? null,
      repository,
      sessions: this.runtime
        .sessionsIn(workspace.id)
        .filter((session) => this.authority.mayUse(identity, session.owner))
        .map((session) => ({ id: session.id, status: session.status })),
      bytes: await diskUse(top),
      dirty: await dirtyCount(top, this.authority.runAs(identity)),
    };
  }
}

export function isCortexWorktree(path: string): boolean {
  return path.includes(`${sep}${WORKTREE_FOLDER}${sep}`);
}

/** `.../cortex-worktrees/NAME/sub/dir` → `.../cortex-worktrees/NAME`. */
function worktreeTop(path: string): string {
  const marker = `${sep}${WORKTREE_FOLDER}${sep}`;
  const at = path.indexOf(marker) + marker.length;
  const end = path.indexOf(sep, at);
  return end === -1 ? path : path.slice(0, end);
}

/** The main checkout a Cortex worktree was made from: it lives in that repository's `.git/cortex-worktrees/`. */
function repositoryOf(top: string): string {
  const commonDir = dirname(dirname(top));
  return basename(commonDir) === '.git' ? dirname(commonDir) : commonDir;
}

function isWithin(directory: string, path: string): boolean {
  return path === directory || path.startsWith(directory + sep);
}

async function currentBranch(path: string): Promise<string | null> {
  try {
    const { stdout } = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: path });
    return stdout.toString('utf8').trim() || null;
  } catch {
    return null;
  }
}

async function dirtyCount(path: string, runAs: SystemUser | undefined): Promise<number> {
  try {
    const { stdout } = await git(['status', '--porcelain', '-z', '--untracked-files=all'], { cwd: path, runAs });
    return stdout.toString('utf8').split('\0').filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** Disk use in bytes, as `du` counts it (blocks, hard links once). */
function diskUse(path: string): Promise<number> {
  return new Promise((resolve) => {
    execFile('du', ['-sk', path], { timeout: 30_000 }, (error, stdout) => {
      resolve(error ? 0 : Number(stdout.split('\t')[0] ?? 0) * 1024);
    });
  });
}

function slug(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[-.]+/, '')
      .slice(0, 40) || 'repo'
  );
}
