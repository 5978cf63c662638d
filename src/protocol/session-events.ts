import type { MsgValue } from './msgpack-types.js';
import type { ProviderName, TokenUsage } from './runtime-types.js';
import type { TurnDiffFile } from './workspace-types.js';

/** One step of a command, file change, tool call or search, as the provider reports it. */
export type ItemPhase = 'started' | 'updated' | 'completed';

/** The payload of each session event type. docs/events.md is generated from EVENT_DOCS below. */
export interface EventPayloads {
  session_started: { provider: ProviderName; workspace: string; path: string; model: string | null };
  turn_queued: { prompt: string; position: number };
  turn_started: { prompt: string; resumed: boolean };
  agent_message: { item_id: string; text: string };
  reasoning: { item_id: string; text: string };
  command: {
    item_id: string;
    phase: ItemPhase;
    command: string;
    exit_code: number | null;
    output: string;
    status: string;
  };
  file_change: { item_id: string; phase: ItemPhase; changes: { path: string; kind: string }[]; status: string };
  mcp_tool_call: { item_id: string; phase: ItemPhase; server: string; tool: string; status: string };
  web_search: { item_id: string; phase: ItemPhase; query: string };
  todo_list: { item_id: string; phase: ItemPhase; items: { text: string; completed: boolean }[] };
  error: { message: string };
  stderr: { text: string };
  notice: { message: string };
  turn_completed: { usage: TokenUsage };
  turn_failed: { error: string };
  turn_interrupted: { reason: string };
  session_stopped: { reason: string };
  turn_diff: { before: string; after: string; files: TurnDiffFile[]; added: number; removed: number };
  check_result: {
    command: string;
    exit_code: number | null;
    signal: string | null;
    ok: boolean;
    duration_ms: number;
    tail: string;
  };
  raw: { provider_type: string; data: MsgValue };
}

export type EventType = keyof EventPayloads;

/** A session event as stored and sent: `[2, "event", SessionEvent]` to `session:ID` subscribers. */
export type SessionEvent<T extends EventType = EventType> = {
  [K in T]: {
    session: string;
    /** Assigned by the owning daemon; consecutive from 1, never reused. */
    seq: number;
    /** Milliseconds since the epoch. */
    time: number;
    /** The turn it belongs to (0 for events outside a turn). */
    turn: number;
    type: K;
    payload: EventPayloads[K];
  };
}[T];

interface EventDoc {
  summary: string;
  fields: Record<string, string>;
}

/** What each event means, for people who script against them. Typed so a new event cannot go undocumented. */
export const EVENT_DOCS: { [K in EventType]: EventDoc & { fields: { [F in keyof EventPayloads[K]]: string } } } = {
  session_started: {
    summary: 'The session was created.',
    fields: {
      provider: 'codex or fake',
      workspace: 'workspace id',
      path: 'the workspace directory',
      model: 'the model asked for, or null for the provider default',
    },
  },
  turn_queued: {
    summary: 'A message arrived while a turn was running; it runs when the running turn ends.',
    fields: { prompt: 'the message', position: 'its place in the queue, from 1' },
  },
  turn_started: {
    summary: 'A turn began.',
    fields: { prompt: 'the message', resumed: 'true when it continues an earlier conversation (Codex: exec resume)' },
  },
  agent_message: { summary: 'The agent said something.', fields: { item_id: 'provider item id', text: 'the message' } },
  reasoning: {
    summary: "A summary of the agent's reasoning.",
    fields: { item_id: 'provider item id', text: 'the text' },
  },
  command: {
    summary: 'The agent ran a command (started, then completed with its exit code).',
    fields: {
      item_id: 'provider item id',
      phase: 'started, updated or completed',
      command: 'the command line',
      exit_code: 'null until completed',
      output: 'aggregated output (the tail when long)',
      status: "the provider's status: in_progress, completed, failed, declined",
    },
  },
  file_change: {
    summary: 'The agent changed files.',
    fields: {
      item_id: 'provider item id',
      phase: 'started, updated or completed',
      changes: 'list of {path, kind} with kind add, delete or update',
      status: "the provider's status",
    },
  },
  mcp_tool_call: {
    summary: 'The agent called an MCP tool.',
    fields: {
      item_id: 'provider item id',
      phase: 'started, updated or completed',
      server: 'MCP server',
      tool: 'tool name',
      status: "the provider's status",
    },
  },
  web_search: {
    summary: 'The agent searched the web.',
    fields: { item_id: 'provider item id', phase: 'started, updated or completed', query: 'the query' },
  },
  todo_list: {
    summary: "The agent's plan.",
    fields: { item_id: 'provider item id', phase: 'started, updated or completed', items: 'list of {text, completed}' },
  },
  error: { summary: 'The provider reported an error that did not end the turn.', fields: { message: 'what it said' } },
  stderr: { summary: "A line the provider's process wrote to stderr.", fields: { text: 'the line' } },
  notice: {
    summary:
      'Something the user should know that is not an error of the turn (for example: another Codex client holds the thread).',
    fields: { message: 'a sentence' },
  },
  turn_completed: { summary: 'The turn ended normally.', fields: { usage: 'tokens used by this turn' } },
  turn_failed: {
    summary:
      'The turn failed (provider error, crash, missing binary, malformed output). The session still takes messages.',
    fields: { error: 'a sentence saying why' },
  },
  turn_interrupted: {
    summary: 'The turn was interrupted (session_interrupt, session_stop, or the daemon stopping or restarting).',
    fields: { reason: 'why' },
  },
  session_stopped: { summary: 'The session ended; it takes no more turns.', fields: { reason: 'why' } },
  turn_diff: {
    summary:
      'What the turn changed in the workspace, from snapshots taken as it started and as it ended; it comes just before turn_completed, turn_failed or turn_interrupted, and only when the turn changed something. `session_turn_diff {session, turn}` has the hunks; `ws_revert` undoes it.',
    fields: {
      before: 'the tree the turn started with (a git tree id in the snapshot store of Cortex)',
      after: 'the tree it ended with',
      files:
        'list of {path, old_path, status, added, removed, binary}; status is added, modified, deleted, renamed, copied or type_changed',
      added: 'lines added in all',
      removed: 'lines removed in all',
    },
  },
  check_result: {
    summary:
      "A check command of the workspace's project ran (check_run with a session, or after a turn when checks_after_turn is on); linked to the session's latest turn.",
    fields: {
      command: 'the command line',
      exit_code: 'its exit code; null when it was killed',
      signal: 'the signal that killed it, or null',
      ok: 'true when it exited with 0',
      duration_ms: 'how long it ran',
      tail: 'the last lines of its output (at most 8 KiB)',
    },
  },
  raw: {
    summary: 'A provider event Cortex does not know, kept as it came rather than dropped.',
    fields: { provider_type: "the provider's event type", data: 'the event as received' },
  },
};

export const EVENT_TYPES = Object.keys(EVENT_DOCS) as EventType[];

/** docs/events.md, generated from EVENT_DOCS (a test checks the file matches). */
export function renderEventDocs(): string {
  const lines = [
    '# Session events',
    '',
    'Generated from `src/protocol/session-events.ts` (`npm run docs`); a test fails when this file and the types disagree.',
    '',
    'Every event is `{session, seq, time, turn, type, payload}`: `seq` counts from 1 per session with no gaps,',
    '`turn` is the turn it belongs to (0 outside turns). Subscribers receive `[2, "event", <event>]` after',
    'calling `subscribe {topic: "session:<id>", after: <seq>}`; `session_events {session, after, limit}` pages',
    'through the same events. `cortex session events ID --json` prints one event per line.',
    '',
  ];
  for (const type of EVENT_TYPES) {
    const doc = EVENT_DOCS[type] as EventDoc;
    lines.push(`## \`${type}\``, '', doc.summary, '', '| field | meaning |', '|---|---|');
    for (const [field, meaning] of Object.entries(doc.fields)) lines.push(`| \`${field}\` | ${meaning} |`);
    lines.push('');
  }
  return lines.join('\n');
}
