import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { Project, Workspace } from '../../src/protocol/runtime-types.js';
import type { Authority } from '../access/authority.js';
import type { Identity } from '../identity/identity.js';
import type { Store } from '../store/store.js';
import type { RuntimeStore } from './runtime-store.js';

type OwnedWorkspace = Workspace & { owner: string };

/**
 * Projects and the workspaces (directories on this node) bound to them. A
 * workspace belongs to whoever added it; administrators reach every one.
 */
export class WorkspaceRegistry {
  private readonly projects = new Map<string, Project>();
  private readonly workspaces = new Map<string, OwnedWorkspace>();

  constructor(
    private readonly tables: RuntimeStore,
    private readonly store: Store,
    private readonly authority: Authority,
  ) {
    for (const project of tables.loadProjects()) this.projects.set(project.name, project);
    for (const workspace of tables.loadWorkspaces()) this.workspaces.set(workspace.id, workspace);
  }

  listProjects(): Project[] {
    return [...this.projects.values()];
  }

  async addProject(name: string, remote: string | null, checks: string[]): Promise<Project> {
    const existing = this.projects.get(name);
    const project: Project = {
      name,
      remote: remote ?? existing?.remote ?? null,
      checks: checks.length > 0 ? checks : (existing?.checks ?? []),
      created: existing?.created ?? Date.now(),
    };
    this.projects.set(name, project);
    await this.store.transact(() => this.tables.saveProject(project));
    return project;
  }

  async removeProject(name: string): Promise<void> {
    if (!this.projects.has(name)) throw new CortexError('ENOTFOUND', `There is no project named ${name}.`);
    const used = [...this.workspaces.values()].filter((workspace) => workspace.project === name);
    if (used.length > 0) {
      throw new CortexError(
        'EBUSY',
        `Project ${name} still has ${used.length} workspace(s), such as ${used[0]!.path}; remove them first.`,
      );
    }
    this.projects.delete(name);
    await this.store.transact(() => this.tables.deleteProject(name));
  }

  list(identity: Identity): Workspace[] {
    return [...this.workspaces.values()]
      .filter((workspace) => this.authority.mayUse(identity, workspace.owner))
      .map(publicView);
  }

  /** Registers a directory, with a project named after its git remote or its name when none is given. */
  async add(
    path: string,
    project: string | undefined,
    identity: Identity,
  ): Promise<{ workspace: Workspace; created: boolean }> {
    const real = existingDirectory(path);
    const existing = [...this.workspaces.values()].find((workspace) => workspace.path === real);
    if (existing) {
      this.authority.requireUse(identity, existing.owner, `the workspace ${existing.path}`);
      return { workspace: publicView(existing), created: false };
    }
    const remote = gitRemote(real);
    const projectName = project ?? projectNameFor(real, remote);
    if (!this.projects.has(projectName)) await this.addProject(projectName, remote, []);
    const workspace: OwnedWorkspace = {
      id: `ws_${randomBytes(4).toString('hex')}`,
      node: this.authority.node,
      path: real,
      project: projectName,
      owner: identity.name,
      created: Date.now(),
    };
    this.workspaces.set(workspace.id, workspace);
    await this.store.transact(() => this.tables.saveWorkspace(workspace));
    return { workspace: publicView(workspace), created: true };
  }

  async remove(ref: string, identity: Identity): Promise<void> {
    const workspace = this.resolve(ref, identity);
    this.workspaces.delete(workspace.id);
    await this.store.transact(() => this.tables.deleteWorkspace(workspace.id));
  }

  /** A workspace by id or absolute path, if the caller may use it. */
  resolve(ref: string, identity: Identity): Workspace {
    const workspace = this.workspaces.get(ref) ?? [...this.workspaces.values()].find((item) => item.path === ref);
    if (workspace === undefined)
      throw new CortexError('ENOTFOUND', `There is no workspace ${ref}; add it with workspace_add.`);
    this.authority.requireUse(identity, workspace.owner, `the workspace ${workspace.path}`);
    return publicView(workspace);
  }

  /** The directory of a workspace the daemon already authorized (its own sessions). */
  pathOf(id: string): string {
    return this.find(id).path;
  }

  /** A workspace by id for the daemon's own work around a session it already authorized. */
  find(id: string): Workspace {
    const workspace = this.workspaces.get(id);
    if (workspace === undefined) throw new CortexError('ENOTFOUND', `The workspace ${id} was removed.`);
    return publicView(workspace);
  }

  project(name: string): Project | undefined {
    return this.projects.get(name);
  }
}

function publicView({ id, node, path, project, created }: OwnedWorkspace): Workspace {
  return { id, node, path, project, created };
}

function existingDirectory(path: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new CortexError('ENOTFOUND', `The directory ${path} does not exist.`);
  }
  if (!statSync(real).isDirectory()) throw new CortexError('EINVAL', `${path} is not a directory.`);
  return real;
}

function gitRemote(path: string): string | null {
  try {
    const url = execFileSync('git', ['-C', path, 'config', '--get', 'remote.origin.url'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    return url || null;
  } catch {
    return null;
  }
}

/** `git@host:team/app.git` and `https://host/team/app` both name the project `app`. */
function projectNameFor(path: string, remote: string | null): string {
  const source = remote
    ? (remote
        .replace(/\.git$/, '')
        .split(/[/:]/)
        .pop() ?? '')
    : basename(path);
  const name = source.replace(/[^A-Za-z0-9_.@-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return name || 'project';
}
