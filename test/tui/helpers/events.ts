import { EMPTY_USAGE, type Session } from '../../../src/protocol/runtime-types.js';
import type { EventPayloads, EventType, SessionEvent } from '../../../src/protocol/session-events.js';

/** One session event, as the daemon would send it. */
export function event<T extends EventType>(seq: number, type: T, payload: EventPayloads[T], turn = 1): SessionEvent {
  return { session: 's_test', seq, time: seq, turn, type, payload } as SessionEvent;
}

export function message(seq: number, text: string): SessionEvent {
  return event(seq, 'agent_message', { item_id: `item_${seq}`, text });
}

/** `count` agent messages "message 1".."message count", seqs from `firstSeq`. */
export function messages(count: number, firstSeq = 1): SessionEvent[] {
  return Array.from({ length: count }, (_, index) => message(firstSeq + index, `message ${firstSeq + index}`));
}

/** A command's started and completed events, sharing an item id. */
export function command(seq: number, line: string, output: string, exitCode = 0): [SessionEvent, SessionEvent] {
  const item_id = `cmd_${seq}`;
  return [
    event(seq, 'command', {
      item_id,
      phase: 'started',
      command: line,
      exit_code: null,
      output: '',
      status: 'in_progress',
    }),
    event(seq + 1, 'command', {
      item_id,
      phase: 'completed',
      command: line,
      exit_code: exitCode,
      output,
      status: exitCode === 0 ? 'completed' : 'failed',
    }),
  ];
}

export function session(overrides: Partial<Session> = {}): Session {
  return {
    id: 's_test',
    workspace: 'ws_1',
    provider: 'fake',
    model: null,
    status: 'idle',
    resume_ref: null,
    created: 1_000,
    updated: 1_000,
    turns: 1,
    queued: 0,
    usage: EMPTY_USAGE,
    owner: 'root',
    approval: 'never',
    sandbox: null,
    pending_approvals: [],
    ...overrides,
  };
}
