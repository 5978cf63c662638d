import { join, relative } from 'node:path';
import { CortexError } from '../../src/protocol/errors.js';
import type { Workspace } from '../../src/protocol/runtime-types.js';
import type { CheckResult, WorkspaceDiff } from '../../src/protocol/workspace-types.js';
import type { Identity } from '../identity/identity.js';
import { type SystemUser } from '../identity/system-user.js';
import type { Logger } from '../logger.js';
import type { Subscriptions } from '../pubsub/subscriptions.js';
import type { Runtime } from '../runtime/index.js';
import type { TurnContext } from '../runtime/session-manager.js';
import { CallerAccess } from './caller-access.js';
import { runCheck } from './checks.js';
import { toDiffFiles } from './diff-parse.js';
import { FileOps } from './file-ops.js';
import { FsTopics, type WatchOptions } from './fs-topics.js';
import { EMPTY_TREE, git, gitDirs } from './git.js';
import { SnapshotStore } from './snapshots.js';
import { type SessionView, TurnDiffs } from './turn-diffs.js';
import { WorkspaceTopics } from './workspace-topics.js';
import { Worktrees } from './worktrees.js';

/** The daemon acting for itself (its own sessions' snapshots and checks), with access to every workspace. */
const DAEMON: Identity = { name: 'cortexd', via: 'unix', admin: true };

export interface InspectorOptions {
  dataDir: string;
  readMaxBytes: number;
  watch: WatchOptions;
  checkTimeoutMs: number;
  /** Run the project's checks after every turn that was not interrupted. */
  checksAfterTurn: boolean;
}

/**
 * The workspace inspector: files, the `fs:` and `workspace:` topics, diffs
 * against HEAD, per-turn diffs and revert, worktrees and checks. It hooks into
 * the session manager so every turn is snapshotted as it starts and ends.
 */
export class WorkspaceInspector {
  readonly files: FileOps;
  readonly fsTopics: FsTopics;
  readonly workspaceTopics: WorkspaceTopics;
  readonly snapshots: SnapshotStore;
  readonly turns: TurnDiffs;
  readonly worktrees: Worktrees;

  constructor(
    private readonly runtime: Runtime,
    subscriptions: Subscriptions,
    private readonly options: InspectorOptions,
    private readonly log: Logger,
  ) {
    const resolve = (ref: string, identity: Identity) => runtime.workspaces.resolve(ref, identity);
    this.files = new FileOps({ readMaxBytes: options.readMaxBytes }, new CallerAccess());
    this.fsTopics = new FsTopics(resolve, options.watch, log, subscriptions);
    this.workspaceTopics = new WorkspaceTopics(resolve, subscriptions);
    subscriptions.register(this.fsTopics.family());
    subscriptions.register(this.workspaceTopics.family());
    this.snapshots = new SnapshotStore(join(options.dataDir, 'snapshots'));
    this.turns = new TurnDiffs(
      this.snapshots,
      runtime.events,
      this.files,
      { checksAfterTurn: (turn, signal) => this.checksAfterTurn(turn, signal) },
      log,
    );
    runtime.sessions.useTurnHooks(this.turns);
    this.worktrees = new Worktrees({
      resolve,
      list: (identity) => runtime.workspaces.list(identity),
      add: async (path, project, identity) => (await runtime.workspaces.add(path, project, identity)).workspace,
      remove: (id, identity) => runtime.workspaces.remove(id, identity),
      sessionsIn: (workspace) => runtime.sessions.list(DAEMON, { workspace }),
    });
  }

  workspace(ref: string, identity: Identity): Workspace {
    return this.runtime.workspaces.resolve(ref, identity);
  }

  /** A session the caller may see, with the directory of its workspace. */
  session(id: string, identity: Identity): { view: SessionView; root: string } {
    const session = this.runtime.sessions.describe(id, identity);
    return { view: session, root: this.runtime.workspaces.pathOf(session.workspace) };
  }

  /** The work tree (untracked files included, ignored ones not) against the commit HEAD points at. */
  async diff(workspace: Workspace): Promise<WorkspaceDiff> {
    const repository = await gitDirs(workspace.path);
    if (repository === undefined) {
      throw new CortexError(
        'EINVAL',
        `${workspace.path} is not in a git repository: there is no HEAD to compare with.`,
      );
    }
    let base: string | null = null;
    let baseTree = EMPTY_TREE;
    const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: workspace.path, okCodes: [1] });
    if (head.code === 0) {
      base = head.stdout.toString('utf8').trim();
      const prefix = relative(repository.topLevel, workspace.path);
      const treeish = prefix ? `${base}:${prefix}` : `${base}^{tree}`;
      const tree = await git(['rev-parse', '--verify', '--quiet', treeish], { cwd: workspace.path, okCodes: [1] });
      baseTree = tree.code === 0 ? tree.stdout.toString('utf8').trim() : EMPTY_TREE;
    }
    const now = await this.snapshots.snapshot(workspace.id, workspace.path);
    const diff = await this.snapshots.diff(workspace.id, workspace.path, baseTree, now, true);
    const files = toDiffFiles(diff.changes, diff.hunks);
    return {
      workspace: workspace.id,
      base,
      files,
      added: files.reduce((total, file) => total + file.added, 0),
      removed: files.reduce((total, file) => total + file.removed, 0),
      truncated: diff.truncated,
    };
  }

  /**
   * Runs the project's checks one after another. With a session, each result
   * is a `check_result` event of its latest turn; without, a `check_result`
   * notification to `workspace:ID` subscribers.
   */
  async runChecks(
    workspace: Workspace,
    session: SessionView | undefined,
    runAs: SystemUser | undefined,
  ): Promise<CheckResult[]> {
    const checks = this.runtime.workspaces.project(workspace.project)?.checks ?? [];
    if (checks.length === 0) {
      throw new CortexError(
        'ENOTFOUND',
        `Project ${workspace.project} has no checks: add one with cortex project set ${workspace.project} --check "npm test".`,
      );
    }
    const results: CheckResult[] = [];
    for (const command of checks) {
      const result = await runCheck(command, workspace.path, { timeoutMs: this.options.checkTimeoutMs, runAs });
      results.push(result);
      if (session) this.runtime.events.append(session.id, session.turns, 'check_result', eventOf(result));
      else this.workspaceTopics.publish(workspace.id, 'check_result', { ...result, workspace: workspace.id });
    }
    return results;
  }

  async close(): Promise<void> {
    await this.fsTopics.close();
  }

  private async checksAfterTurn(turn: TurnContext, signal: AbortSignal): Promise<void> {
    if (!this.options.checksAfterTurn) return;
    const workspace = this.runtime.workspaces.resolve(turn.workspace, DAEMON);
    for (const command of this.runtime.workspaces.project(workspace.project)?.checks ?? []) {
      if (signal.aborted) return;
      const result = await runCheck(command, turn.cwd, { timeoutMs: this.options.checkTimeoutMs, signal });
      this.runtime.events.append(turn.session, turn.turn, 'check_result', eventOf(result));
      this.log.debug(`session ${turn.session} turn ${turn.turn}: check ${command} exited ${result.exit_code}`);
    }
  }
}

function eventOf(result: CheckResult) {
  const { command, exit_code, signal, ok, duration_ms, tail } = result;
  return { command, exit_code, signal, ok, duration_ms, tail };
}
