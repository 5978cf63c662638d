import type { Database, Statement } from 'better-sqlite3';
import { decode } from '../../src/protocol/msgpack-decode.js';
import { encode } from '../../src/protocol/msgpack-encode.js';
import {
  APPROVAL_POLICIES,
  type ApprovalPolicy,
  type Project,
  SANDBOX_MODES,
  type SandboxMode,
  type Session,
  type TokenUsage,
  type Workspace,
} from '../../src/protocol/runtime-types.js';

interface SessionRow {
  id: string;
  workspace: string;
  provider: Session['provider'];
  model: string | null;
  options: Buffer;
  status: Session['status'];
  resume_ref: string | null;
  created: number;
  updated: number;
  turns: number;
  usage: string;
  owner: string;
}

/** A session as the daemon keeps it: what is not live state (queue, requests waiting). */
export type StoredSession = Omit<Session, 'queued' | 'pending_approvals'>;

/**
 * The runtime's system tables: projects, workspaces and sessions (events have
 * their own log). Reads are synchronous; the manager keeps the live state in
 * memory and persists through `Store.transact`, so writes join group commit.
 */
export class RuntimeStore {
  private readonly statements: {
    projects: Statement<[], { name: string; remote: string | null; checks: string; created: number }>;
    putProject: Statement<[string, string | null, string, number]>;
    deleteProject: Statement<[string]>;
    workspaces: Statement<[], Workspace & { owner: string }>;
    putWorkspace: Statement<[string, string, string, string, string, number]>;
    deleteWorkspace: Statement<[string]>;
    sessions: Statement<[], SessionRow>;
    putSession: Statement<unknown[]>;
  };

  constructor(db: Database) {
    this.statements = {
      projects: db.prepare('SELECT name, remote, checks, created FROM _projects ORDER BY name'),
      putProject: db.prepare('INSERT OR REPLACE INTO _projects (name, remote, checks, created) VALUES (?, ?, ?, ?)'),
      deleteProject: db.prepare('DELETE FROM _projects WHERE name = ?'),
      workspaces: db.prepare('SELECT id, node, path, project, owner, created FROM _workspaces ORDER BY path'),
      putWorkspace: db.prepare(
        'INSERT OR REPLACE INTO _workspaces (id, node, path, project, owner, created) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteWorkspace: db.prepare('DELETE FROM _workspaces WHERE id = ?'),
      sessions: db.prepare('SELECT * FROM _sessions ORDER BY created'),
      putSession: db.prepare(
        `INSERT OR REPLACE INTO _sessions
          (id, workspace, provider, model, options, status, resume_ref, created, updated, turns, usage, owner)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  loadProjects(): Project[] {
    return this.statements.projects.all().map((row) => ({ ...row, checks: JSON.parse(row.checks) as string[] }));
  }

  saveProject(project: Project): void {
    this.statements.putProject.run(project.name, project.remote, JSON.stringify(project.checks), project.created);
  }

  deleteProject(name: string): void {
    this.statements.deleteProject.run(name);
  }

  loadWorkspaces(): (Workspace & { owner: string })[] {
    return this.statements.workspaces.all();
  }

  saveWorkspace(workspace: Workspace & { owner: string }): void {
    const { id, node, path, project, owner, created } = workspace;
    this.statements.putWorkspace.run(id, node, path, project, owner, created);
  }

  deleteWorkspace(id: string): void {
    this.statements.deleteWorkspace.run(id);
  }

  loadSessions(): StoredSession[] {
    return this.statements.sessions.all().map(({ options, usage, ...row }) => ({
      ...row,
      ...settingsOf(options),
      usage: JSON.parse(usage) as TokenUsage,
    }));
  }

  saveSession(session: StoredSession): void {
    const s = session;
    this.statements.putSession.run(
      s.id,
      s.workspace,
      s.provider,
      s.model,
      encode({ approval: s.approval, sandbox: s.sandbox }),
      s.status,
      s.resume_ref,
      s.created,
      s.updated,
      s.turns,
      JSON.stringify(s.usage),
      s.owner,
    );
  }
}

/**
 * The `options` column: the session's approval policy and sandbox. Sessions from before approvals existed
 * hold other maps there; they ran without approvals, so anything not recognised reads as never and default.
 */
function settingsOf(options: Buffer): { approval: ApprovalPolicy; sandbox: SandboxMode | null } {
  const map = decode(options) as { approval?: unknown; sandbox?: unknown } | null;
  const approval = (APPROVAL_POLICIES as readonly unknown[]).includes(map?.approval) ? map!.approval : 'never';
  const sandbox = (SANDBOX_MODES as readonly unknown[]).includes(map?.sandbox) ? map!.sandbox : null;
  return { approval: approval as ApprovalPolicy, sandbox: sandbox as SandboxMode | null };
}
