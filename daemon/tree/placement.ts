import { CortexError } from '../../src/protocol/errors.js';
import type { ParamsOf, ResultOf } from '../../src/protocol/methods.js';
import type { NodeSummary } from '../../src/protocol/tree-types.js';
import type { Authority } from '../access/authority.js';
import type { PlacementThresholds } from '../config.js';
import type { NodeView } from '../mesh/routes.js';
import { gitRemote, projectNameFor, type WorkspaceRegistry } from '../runtime/workspace-registry.js';
import type { CallContext } from '../server/caller.js';
import { requireOwnDirectory } from '../workspace/caller-access.js';
import { pastThresholds } from './thresholds.js';

type StartParams = Omit<ParamsOf<'session_start'>, 'node' | 'clone'>;

export interface PlacementContext {
  me: string;
  nodes(): NodeView[];
  limits: PlacementThresholds;
  registry: WorkspaceRegistry;
  authority: Authority;
  /** A listing across nodes, for the caller. */
  listing<M extends 'project_list' | 'workspace_list'>(method: M, call: CallContext): Promise<ResultOf<M>>;
  /** Runs a node method where its params say (the router). */
  run<M extends 'workspace_add' | 'workspace_clone' | 'session_start'>(
    method: M,
    params: ParamsOf<M>,
    call: CallContext,
  ): Promise<ResultOf<M>>;
}

/** The workspace the session was asked for, as this node sees it. */
interface Wanted {
  project: string;
  /** Its git remote: how the same project is recognised on other nodes. */
  remote: string | null;
  /** A workspace registered here, or a directory of this node not registered yet. */
  workspace?: string;
  path?: string;
}

interface Candidate {
  view: NodeView;
  summary: NodeSummary | null;
  /** A workspace of the project there (an id, or this node's directory). */
  hosting: { workspace?: string; path?: string } | undefined;
  /** Why it may not take the session. */
  skip: string[];
}

/**
 * `session_start` with `node: "auto"`: a node that already has the project (a
 * workspace whose project has the same git remote) first, then the least
 * loaded by the figures heartbeats carry; a node past a placement threshold is
 * skipped, and so is a node without the project unless `clone` lets it clone
 * the remote into its workspace root. The choice and the reason for it become
 * a notice event of the session, on the node that runs it.
 */
export class Placement {
  constructor(private readonly ctx: PlacementContext) {}

  async start(params: StartParams, clone: boolean, call: CallContext): Promise<ResultOf<'session_start'>> {
    const wanted = this.wanted(params.workspace, call);
    const [projects, workspaces] = await Promise.all([
      this.ctx.listing('project_list', call),
      this.ctx.listing('workspace_list', call),
    ]);
    const candidates = this.ctx
      .nodes()
      .filter((view) => view.self || view.online)
      .map((view) => this.candidate(view, wanted, projects, workspaces, clone));
    const eligible = candidates.filter((candidate) => candidate.skip.length === 0).sort(byPreference);
    const chosen = eligible[0];
    if (chosen === undefined) {
      const why = candidates.map((candidate) => `${candidate.view.node}: ${candidate.skip.join(', ')}`).join('; ');
      throw new CortexError('EBUSY', `No node can take the session (${why}).`);
    }
    const placement = { by: this.ctx.me, reason: reasonFor(chosen, candidates, wanted) };
    const workspace = await this.workspaceOn(chosen, wanted, call);
    const { session } = await this.ctx.run(
      'session_start',
      { ...params, workspace, node: chosen.view.node, placement },
      call,
    );
    return { session, placed: { node: chosen.view.node, ...placement } };
  }

  private wanted(ref: string, call: CallContext): Wanted {
    const { registry } = this.ctx;
    if (registry.has(ref) || ref.startsWith('/')) {
      try {
        const workspace = registry.resolve(ref, call.identity);
        return {
          project: workspace.project,
          remote: registry.project(workspace.project)?.remote ?? null,
          workspace: workspace.id,
        };
      } catch (error) {
        if (!(error instanceof CortexError && error.code === 'ENOTFOUND') || !ref.startsWith('/')) throw error;
      }
      requireOwnDirectory(ref, call.identity, this.ctx.authority);
      const remote = gitRemote(ref);
      return { project: projectNameFor(ref, remote), remote, path: ref };
    }
    throw new CortexError(
      'EINVAL',
      `With --node auto the workspace is a directory or workspace of ${this.ctx.me}, not ${ref}.`,
    );
  }

  private candidate(
    view: NodeView,
    wanted: Wanted,
    projects: ResultOf<'project_list'>,
    workspaces: ResultOf<'workspace_list'>,
    clone: boolean,
  ): Candidate {
    const skip = view.summary === null ? ['no figures from it yet'] : pastThresholds(view.summary, this.ctx.limits);
    let hosting: Candidate['hosting'];
    if (view.self && (wanted.workspace !== undefined || wanted.path !== undefined)) {
      hosting = { workspace: wanted.workspace, path: wanted.path };
    } else if (wanted.remote !== null) {
      const names = new Set(
        projects.projects
          .filter((project) => project.node === view.node && !project.stale)
          .filter((project) => project.remote !== null && sameRemote(project.remote, wanted.remote!))
          .map((project) => project.name),
      );
      const found = workspaces.workspaces.find(
        (workspace) => workspace.node === view.node && !workspace.stale && names.has(workspace.project),
      );
      if (found !== undefined) hosting = { workspace: found.id };
    }
    if (hosting === undefined && !(clone && wanted.remote !== null)) {
      skip.push(
        wanted.remote === null
          ? `${wanted.project} has no git remote to find it by`
          : `no workspace of ${wanted.project} (--clone would clone it)`,
      );
    }
    return { view, summary: view.summary, hosting, skip };
  }

  /** The workspace on the chosen node: the one it has, this node's directory registered, or a clone. */
  private async workspaceOn(chosen: Candidate, wanted: Wanted, call: CallContext): Promise<string> {
    if (chosen.hosting?.workspace !== undefined) return chosen.hosting.workspace;
    if (chosen.hosting?.path !== undefined) {
      return (await this.ctx.run('workspace_add', { path: chosen.hosting.path, project: wanted.project }, call))
        .workspace.id;
    }
    const cloned = await this.ctx.run(
      'workspace_clone',
      { remote: wanted.remote!, project: wanted.project, node: chosen.view.node },
      call,
    );
    return cloned.workspace.id;
  }
}

/** Nodes with the project first, then the lowest load, then the most free memory. */
function byPreference(a: Candidate, b: Candidate): number {
  if ((a.hosting === undefined) !== (b.hosting === undefined)) return a.hosting === undefined ? 1 : -1;
  const load = (a.summary?.load ?? 0) - (b.summary?.load ?? 0);
  if (load !== 0) return load;
  return (b.summary?.mem_free ?? 0) - (a.summary?.mem_free ?? 0);
}

function reasonFor(chosen: Candidate, candidates: Candidate[], wanted: Wanted): string {
  const load = Math.round((chosen.summary?.load ?? 0) * 100) / 100;
  const has =
    chosen.hosting !== undefined
      ? `has ${wanted.project} (${chosen.hosting.workspace ?? chosen.hosting.path})`
      : `has no workspace of ${wanted.project} and clones ${wanted.remote}`;
  const others = candidates
    .filter((candidate) => candidate !== chosen)
    .map((candidate) =>
      candidate.skip.length > 0
        ? `not ${candidate.view.node}: ${candidate.skip.join(', ')}`
        : `not ${candidate.view.node}: ${candidate.hosting === undefined ? 'no workspace of the project, ' : ''}load ${Math.round((candidate.summary?.load ?? 0) * 100) / 100}`,
    );
  return [`${chosen.view.node} ${has} and the lowest load of those that may take it (${load})`, ...others].join('; ');
}

/** `git@host:team/app.git`, `git@host:team/app` and `…/app.git/` are one remote. */
function sameRemote(a: string, b: string): boolean {
  const normal = (remote: string) =>
    remote
      .trim()
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
  return normal(a) === normal(b);
}
