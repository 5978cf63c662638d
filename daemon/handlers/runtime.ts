import { DEFAULT_PAGE } from '../../src/protocol/methods.js';
import { requireOwnDirectory } from '../workspace/caller-access.js';
import { cloneWorkspace } from '../workspace/clone.js';
import type { DaemonServices, HandlerTable } from './types.js';

type RuntimeMethods =
  | 'project_add'
  | 'project_list'
  | 'project_remove'
  | 'workspace_add'
  | 'workspace_list'
  | 'workspace_remove'
  | 'workspace_clone'
  | 'session_start'
  | 'session_send'
  | 'session_approve'
  | 'session_deny'
  | 'session_resume'
  | 'session_interrupt'
  | 'session_stop'
  | 'session_list'
  | 'session_get'
  | 'session_events';

export function runtimeHandlers({
  node,
  authority,
  workspaces,
  sessions,
  events,
  inspector,
  workspaceRoot,
}: DaemonServices): Pick<HandlerTable, RuntimeMethods> {
  return {
    project_add: async ({ name, remote, checks }) => ({
      project: await workspaces.addProject(name, remote ?? null, checks ?? []),
    }),
    project_list: () => ({ projects: workspaces.listProjects() }),
    project_remove: async ({ name }) => {
      await workspaces.removeProject(name);
      return { ok: true };
    },
    workspace_add: ({ path, project }, call) => {
      requireOwnDirectory(path, call.identity, authority);
      return workspaces.add(path, project, call.identity);
    },
    workspace_list: (_params, call) => ({ workspaces: workspaces.list(call.identity) }),
    workspace_remove: async ({ workspace }, call) => {
      await workspaces.remove(workspace, call.identity);
      return { ok: true };
    },
    workspace_clone: ({ remote, project }, call) =>
      cloneWorkspace(workspaces, workspaceRoot, remote, project, call.identity, authority),
    session_start: async ({ worktree, options, placement, ...params }, call) => {
      // With worktree, the session gets a new git worktree of the workspace's repository, on a branch of its own.
      const workspace = worktree
        ? (await inspector.worktrees.create(params.workspace, call.identity)).id
        : params.workspace;
      if (placement === undefined)
        return { session: await sessions.start({ ...params, sandbox: options?.sandbox, workspace }, call.identity) };
      // Chosen by another node (node "auto"): the choice is said in the session before its first turn.
      const started = await sessions.start(
        { ...params, sandbox: options?.sandbox, workspace, prompt: undefined },
        call.identity,
      );
      const message = `placed on ${node} by ${placement.by}: ${placement.reason}`;
      events.append(started.id, 0, 'notice', { message });
      if (params.prompt !== undefined) await sessions.send(started.id, params.prompt, call.identity);
      return {
        session: sessions.describe(started.id, call.identity),
        placed: { node, ...placement },
      };
    },
    session_send: async ({ session, prompt, steer }, call) => ({
      ok: true,
      ...(await sessions.send(session, prompt, call.identity, steer ?? false)),
    }),
    session_approve: ({ session, request, always }, call) => ({
      ok: true,
      ...sessions.answer(session, call.identity, request, always ? 'approve_for_session' : 'approve'),
    }),
    session_deny: ({ session, request }, call) => ({
      ok: true,
      ...sessions.answer(session, call.identity, request, 'deny'),
    }),
    session_resume: ({ session, prompt }, call) => sessions.resume(session, call.identity, prompt),
    session_interrupt: ({ session }, call) => ({ ok: true, interrupted: sessions.interrupt(session, call.identity) }),
    session_stop: async ({ session }, call) => {
      await sessions.stop(session, call.identity);
      return { ok: true };
    },
    session_list: ({ workspace, status }, call) => ({ sessions: sessions.list(call.identity, { workspace, status }) }),
    session_get: ({ session }, call) => ({ session: sessions.describe(session, call.identity) }),
    session_events: ({ session, after, limit }, call) => {
      sessions.authorize(call.identity, session);
      const page = limit ?? DEFAULT_PAGE;
      const list = events.read(session, after ?? 0, page);
      return { events: list, next: list.length === page ? list[list.length - 1]!.seq : null };
    },
  };
}
