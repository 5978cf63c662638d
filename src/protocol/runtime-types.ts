/** The agent runtime's domain: node → project → workspace → session → events. */

export interface Project {
  name: string;
  /** A git remote URL, when the project has one. */
  remote: string | null;
  /** Check commands run in its workspaces (`npm test`, a linter). */
  checks: string[];
  created: number;
}

export interface Workspace {
  id: string;
  node: string;
  /** Absolute path on its node. */
  path: string;
  project: string;
  created: number;
}

export const SESSION_STATUSES = ['starting', 'running', 'idle', 'interrupted', 'stopped', 'failed'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** `codex`: Codex through `codex app-server`; `codex-exec`: `codex exec --json` once per turn; `fake`: offline, scripted. */
export const PROVIDERS = ['codex', 'codex-exec', 'fake'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** When the agent asks before acting, as Codex names it; `never` runs everything without asking. */
export const APPROVAL_POLICIES = ['untrusted', 'on-request', 'on-failure', 'never'] as const;
export type ApprovalPolicy = (typeof APPROVAL_POLICIES)[number];

/** What the agent's commands may touch, as Codex names it. */
export const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** How a person answered an approval request; `cancelled` when the turn ended first. */
export const APPROVAL_DECISIONS = ['approved', 'approved_for_session', 'denied', 'cancelled'] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

/** An approval request waiting for an answer (the `approval_requested` event has the details, diffs included). */
export interface PendingApproval {
  request: string;
  turn: number;
  kind: 'command' | 'file_change';
  /** The command line, for a command. */
  command: string | null;
  /** The files, for a file change. */
  paths: string[];
  /** Why the agent asks, when it says. */
  reason: string | null;
}

export interface Session {
  id: string;
  workspace: string;
  provider: ProviderName;
  model: string | null;
  /**
   * starting: created, first turn not begun; running: a turn runs; idle: waiting
   * for a message; interrupted: the last turn was interrupted (also after a daemon
   * restart); failed: the last turn failed (the session still takes messages);
   * stopped: ended, takes no more turns.
   */
  status: SessionStatus;
  /** The provider's handle to continue the conversation (Codex: the thread id). */
  resume_ref: string | null;
  created: number;
  updated: number;
  turns: number;
  /** Messages waiting for the running turn to end. */
  queued: number;
  usage: TokenUsage;
  owner: string;
  approval: ApprovalPolicy;
  /** null: the provider's default. */
  sandbox: SandboxMode | null;
  /** Requests the running turn waits on, oldest first: the session waits for a person while this is not empty. */
  pending_approvals: PendingApproval[];
}

export interface TokenUsage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
}

export const EMPTY_USAGE: TokenUsage = {
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  reasoning_output_tokens: 0,
};
