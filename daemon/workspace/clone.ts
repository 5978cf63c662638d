import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { Workspace } from '../../src/protocol/runtime-types.js';
import type { Authority } from '../access/authority.js';
import type { Identity } from '../identity/identity.js';
import { projectNameFor, type WorkspaceRegistry } from '../runtime/workspace-registry.js';
import { git, GitError } from './git.js';

/** How long a clone may take. */
const CLONE_MS = 30 * 60_000;

/**
 * `workspace_clone`: clones a git remote into `root/PROJECT` (`PROJECT-2`... when
 * taken) as the caller, and registers it as a workspace of the project. A
 * workspace of the same remote already in the root is reused instead. Git runs
 * with the project's usual isolation (no configuration, hooks or prompts) and
 * takes the remote after `--`, so it is never read as an option.
 */
export async function cloneWorkspace(
  registry: WorkspaceRegistry,
  root: string,
  remote: string,
  project: string | undefined,
  identity: Identity,
  authority: Authority,
): Promise<{ workspace: Workspace; cloned: boolean }> {
  const name = project ?? projectNameFor(root, remote);
  const existing = registry
    .list(identity)
    .find(
      (workspace) => workspace.path.startsWith(`${root}/`) && registry.project(workspace.project)?.remote === remote,
    );
  if (existing !== undefined) return { workspace: existing, cloned: false };
  mkdirSync(root, { recursive: true, mode: 0o755 });
  let path = join(root, name);
  for (let n = 2; existsSync(path); n++) path = join(root, `${name}-${n}`);
  try {
    await git(['clone', '--quiet', '--', remote, path], { runAs: authority.runAs(identity), timeoutMs: CLONE_MS });
  } catch (error) {
    const reason = error instanceof GitError ? error.reason : error instanceof Error ? error.message : String(error);
    throw new CortexError('EINVAL', `git could not clone ${remote}: ${reason || 'it failed'}.`);
  }
  const { workspace } = await registry.add(path, name, identity);
  return { workspace, cloned: true };
}
