import type { MsgValue } from '../../../src/protocol/msgpack-types.js';
import type { ProviderName, TokenUsage } from '../../../src/protocol/runtime-types.js';
import type { EventPayloads, EventType } from '../../../src/protocol/session-events.js';
import type { SystemUser } from '../../identity/system-user.js';

/** What a provider needs to run one turn. */
export interface TurnRequest {
  /** The workspace directory: the agent's working root. */
  cwd: string;
  prompt: string;
  /** The conversation to continue, or null for the first turn. */
  resumeRef: string | null;
  model: string | null;
  options: Record<string, MsgValue>;
  /** The local user the turn's programs run as (the session owner's), or undefined for the daemon's own. */
  runAs: SystemUser | undefined;
}

/** Where a running turn reports to. */
export interface TurnSink {
  event<T extends EventType>(type: T, payload: EventPayloads[T]): void;
  /** The provider's handle to continue this conversation later. */
  resumeRef(ref: string): void;
}

export type TurnOutcome =
  | { status: 'completed'; usage: TokenUsage }
  | { status: 'failed'; error: string }
  | { status: 'interrupted'; reason: string };

export interface RunningTurn {
  /** Settles once the turn is over and its process (if any) has exited; never rejects. */
  done: Promise<TurnOutcome>;
  interrupt(reason: string): void;
}

/** An agent behind one interface: the real Codex CLI, or the fake for tests and demos. */
export interface Provider {
  readonly name: ProviderName;
  startTurn(request: TurnRequest, sink: TurnSink): RunningTurn;
}
