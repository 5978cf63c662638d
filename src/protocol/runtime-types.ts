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

export const PROVIDERS = ['codex', 'fake'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

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
