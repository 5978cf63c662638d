import type { ApprovalPolicy, ProviderName, SandboxMode, TokenUsage } from '../../../src/protocol/runtime-types.js';
import type { EventPayloads, EventType, FileChangeDetail } from '../../../src/protocol/session-events.js';
import type { SystemUser } from '../../identity/system-user.js';

/** What a provider needs to run one turn. */
export interface TurnRequest {
  session: string;
  /** The workspace directory: the agent's working root. */
  cwd: string;
  prompt: string;
  /** The conversation to continue, or null for the first turn. */
  resumeRef: string | null;
  model: string | null;
  approval: ApprovalPolicy;
  sandbox: SandboxMode | null;
  /** The local user the turn's programs run as (the session owner's, asked of Authority per turn), or undefined for the daemon's own. */
  runAs: SystemUser | undefined;
}

/** What the agent asks a person before doing it. */
export interface ApprovalAsk {
  kind: 'command' | 'file_change';
  item_id: string;
  cwd: string;
  command: string | null;
  changes: FileChangeDetail[];
  reason: string | null;
}

/** A person's answer; `cancelled` when the turn ended before anyone answered. */
export type ApprovalAnswer = 'approve' | 'approve_for_session' | 'deny' | 'cancelled';

/** Where a running turn reports to. */
export interface TurnSink {
  event<T extends EventType>(type: T, payload: EventPayloads[T]): void;
  /** The provider's handle to continue this conversation later. */
  resumeRef(ref: string): void;
  /** Asks a person; settles with their answer (`cancelled` once `withdrawn` aborts: the provider no longer asks). */
  approval(ask: ApprovalAsk, withdrawn: AbortSignal): Promise<ApprovalAnswer>;
}

export type TurnOutcome =
  | { status: 'completed'; usage: TokenUsage }
  | { status: 'failed'; error: string }
  | { status: 'interrupted'; reason: string };

export interface RunningTurn {
  /** Settles once the turn is over and its process (if any) has exited; never rejects. */
  done: Promise<TurnOutcome>;
  interrupt(reason: string): void;
  /** Adds a message to the running turn (providers that steer); rejects when the turn can no longer take it. */
  steer?(prompt: string): Promise<void>;
}

/** An agent behind one interface: Codex through its app-server or `codex exec`, or the fake for tests and demos. */
export interface Provider {
  readonly name: ProviderName;
  /** Whether a running turn takes more messages (`steer`). */
  readonly steers: boolean;
  /** Refuses (CortexError EINVAL) settings this provider cannot honour, before a session is created with them. */
  check?(settings: { approval: ApprovalPolicy }): void;
  startTurn(request: TurnRequest, sink: TurnSink): RunningTurn;
  /** The session ended or is idle: stop what runs for it between turns (an app-server). */
  release?(session: string): Promise<void>;
  /** The daemon stops: stop everything. */
  shutdown?(): Promise<void>;
}
