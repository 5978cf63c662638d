import { CortexError } from '../../src/protocol/errors.js';
import type { DaemonServices, HandlerTable } from './types.js';

type WorkspaceMethods =
  | 'fs_list'
  | 'fs_stat'
  | 'fs_read'
  | 'fs_write'
  | 'ws_diff'
  | 'session_turn_diff'
  | 'ws_revert'
  | 'worktree_list'
  | 'worktree_remove'
  | 'check_run';

/**
 * The workspace inspector. Access is the workspace's (its owner and
 * administrators); where the daemon runs as root, files are read and written
 * only if the caller's own uid could (see CallerAccess), and checks run as it.
 */
export function workspaceHandlers({ inspector, authority }: DaemonServices): Pick<HandlerTable, WorkspaceMethods> {
  return {
    fs_list: async ({ workspace: ref, path, offset, limit }, call) => {
      const workspace = inspector.workspace(ref, call.identity);
      const result = await inspector.files.list(
        workspace.path,
        path ?? '.',
        authority.runAs(call.identity),
        offset,
        limit,
      );
      // A subscriber of fs:WORKSPACE that lists a directory is told about its changes from now on.
      await inspector.fsTopics.listed(workspace.id, result.path, call.caller);
      return result;
    },
    fs_stat: async ({ workspace: ref, path }, call) => {
      const workspace = inspector.workspace(ref, call.identity);
      return { stat: await inspector.files.stat(workspace.path, path, authority.runAs(call.identity)) };
    },
    fs_read: ({ workspace: ref, path }, call) => {
      const workspace = inspector.workspace(ref, call.identity);
      return inspector.files.read(workspace.path, path, authority.runAs(call.identity));
    },
    fs_write: ({ workspace: ref, path, content, expected_hash }, call) => {
      const workspace = inspector.workspace(ref, call.identity);
      return inspector.files.write(workspace.path, path, content, expected_hash, authority.runAs(call.identity));
    },
    ws_diff: async ({ workspace: ref }, call) => ({
      diff: await inspector.diff(inspector.workspace(ref, call.identity)),
    }),
    session_turn_diff: async ({ session, turn }, call) => {
      const { view, root } = inspector.session(session, call.identity);
      return { diff: await inspector.turns.turnDiff(view, turn, root) };
    },
    ws_revert: async ({ session, turn, path }, call) => {
      const { view, root } = inspector.session(session, call.identity);
      return { reverted: await inspector.turns.revert(view, turn, root, path, authority.runAs(call.identity)) };
    },
    worktree_list: async ({ workspace }, call) => ({
      worktrees: await inspector.worktrees.list(call.identity, workspace),
    }),
    worktree_remove: async ({ workspace, force }, call) => ({
      ok: true,
      ...(await inspector.worktrees.remove(workspace, force === true, call.identity)),
    }),
    check_run: async ({ workspace: ref, session }, call) => {
      const workspace = inspector.workspace(ref, call.identity);
      const view = session === undefined ? undefined : inspector.session(session, call.identity).view;
      if (view !== undefined && view.workspace !== workspace.id) {
        throw new CortexError('EINVAL', `Session ${view.id} works in ${view.workspace}, not in ${workspace.id}.`);
      }
      return { results: await inspector.runChecks(workspace, view, authority.runAs(call.identity)) };
    },
  };
}
