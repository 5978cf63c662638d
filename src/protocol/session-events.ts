import type { MsgValue } from './msgpack-types.js';
import type { ApprovalDecision, ApprovalPolicy, ProviderName, SandboxMode, TokenUsage } from './runtime-types.js';
import type { TurnDiffFile } from './workspace-types.js';

/** One step of a command, file change, tool call or search, as the provider reports it. */
export type ItemPhase = 'started' | 'updated' | 'completed';

/** The local account a session's processes run as. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** One file of a file change; `diff` as Codex gives it (a unified diff, or the content of a new file). */
export interface FileChangeDetail {
  path: string;
  kind: string;
  diff: string;
}

/**
 * The payload of each session event type. docs/events.md is generated from EVENT_DOCS below.
 * Fields added to an existing type after it first shipped are optional: older logs lack them.
 */
export interface EventPayloads {
  session_started: {
    provider: ProviderName;
    workspace: string;
    path: string;
    model: string | null;
    approval?: ApprovalPolicy;
    sandbox?: SandboxMode | null;
    run_as?: RunAs | null;
  };
  session_resumed: { by: string };
  turn_queued: { prompt: string; position: number };
  turn_started: { prompt: string; resumed: boolean };
  turn_steered: { prompt: string };
  agent_message_delta: { item_id: string; text: string };
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
  command_output_delta: { item_id: string; text: string };
  file_change: {
    item_id: string;
    phase: ItemPhase;
    changes: { path: string; kind: string; diff?: string }[];
    status: string;
  };
  approval_requested: {
    request: string;
    kind: 'command' | 'file_change';
    item_id: string;
    cwd: string;
    command: string | null;
    changes: FileChangeDetail[];
    reason: string | null;
  };
  approval_resolved: { request: string; decision: ApprovalDecision; by: string; reason: string | null };
  mcp_tool_call: { item_id: string; phase: ItemPhase; server: string; tool: string; status: string };
  web_search: { item_id: string; phase: ItemPhase; query: string };
  todo_list: { item_id: string; phase: ItemPhase; items: { text: string; completed: boolean }[] };
  error: { message: string };
  stderr: { text: string };
  notice: { message: string };
  stalled: { silent_ms: number; message: string };
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
      provider: 'codex, codex-exec or fake',
      workspace: 'workspace id',
      path: 'the workspace directory',
      model: 'the model asked for, or null for the provider default',
      approval: 'the approval policy: untrusted, on-request, on-failure or never (absent in logs older than approvals)',
      sandbox: "read-only, workspace-write or danger-full-access; null for the provider's default",
      run_as:
        "{uid, gid, name} of the local account the session started as (its owner's); null for the daemon's own. A record: each turn runs as the owner's local user of that moment",
    },
  },
  session_resumed: {
    summary: 'A stopped session was started again (`session_resume`); the next turn continues its conversation.',
    fields: { by: 'who resumed it' },
  },
  turn_queued: {
    summary:
      'A message arrived while a turn was running; it runs when the running turn ends. Queued messages are kept across a daemon restart and run after it.',
    fields: { prompt: 'the message', position: 'its place in the queue, from 1' },
  },
  turn_started: {
    summary: 'A turn began.',
    fields: {
      prompt: 'the message',
      resumed: 'true when it continues an earlier conversation (Codex: thread/resume or exec resume)',
    },
  },
  turn_steered: {
    summary: 'A message was added to the running turn (`session_send` with `steer`) instead of waiting for it to end.',
    fields: { prompt: 'the message' },
  },
  agent_message_delta: {
    summary:
      "A piece of the agent's reply as it streams. Pieces that follow each other closely are merged into one event (the first piece of a burst is sent at once, the rest at most every 50 ms); all pieces of an item, in seq order, are its text so far. The agent_message with the same item_id follows with the whole text.",
    fields: { item_id: 'provider item id', text: 'the next piece of text' },
  },
  agent_message: { summary: 'The agent said something.', fields: { item_id: 'provider item id', text: 'the message' } },
  reasoning: {
    summary: "A summary of the agent's reasoning.",
    fields: { item_id: 'provider item id', text: 'the text' },
  },
  command: {
    summary:
      'The agent ran a command: `started` as soon as it starts (before its approval, when one is needed), then `completed` with its exit code.',
    fields: {
      item_id: 'provider item id',
      phase: 'started, updated or completed',
      command: 'the command line',
      exit_code: 'null until completed',
      output: 'aggregated output (the tail when long); command_output_delta events stream it while the command runs',
      status: "the provider's status: in_progress, completed, failed, declined",
    },
  },
  command_output_delta: {
    summary:
      "A piece of a running command's output, merged like agent_message_delta; the pieces of an item in seq order are its output so far.",
    fields: { item_id: 'the command item id', text: 'the next piece of output' },
  },
  file_change: {
    summary: 'The agent changed files.',
    fields: {
      item_id: 'provider item id',
      phase: 'started, updated or completed',
      changes: 'list of {path, kind, diff} with kind add, delete or update (diff: from the codex provider only)',
      status: "the provider's status",
    },
  },
  approval_requested: {
    summary:
      "The agent waits for a person before running a command or changing files; the session's pending_approvals lists it until approval_resolved. `session_approve` or `session_deny` answers it. A request nobody answers waits (clients may come and go); if the daemon restarts meanwhile, it is answered denied.",
    fields: {
      request: 'the request id (ap_...), for session_approve and session_deny',
      kind: 'command or file_change',
      item_id: 'the command or file change item it is about',
      cwd: 'the directory it would run in',
      command: 'the command line (null for a file change)',
      changes: 'for a file change: list of {path, kind, diff}',
      reason: 'why the agent asks, when it says (null otherwise)',
    },
  },
  approval_resolved: {
    summary: 'An approval request was answered, or ended unanswered.',
    fields: {
      request: 'the request id',
      decision:
        'approved, approved_for_session (the same kind of action is not asked again in this session), denied, or cancelled (the turn ended first)',
      by: 'who answered: an identity, or cortex when the daemon answered (turn ended, daemon restarted)',
      reason: 'why, when cortex answered; null otherwise',
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
  stalled: {
    summary:
      'The running turn produced no event for turn_stall_ms (default 2 minutes; time waiting for an approval does not count). Said once per silence; the turn goes on (turn_timeout_ms, when set, interrupts it).',
    fields: { silent_ms: 'how long it has been silent', message: 'a sentence for people' },
  },
  turn_completed: { summary: 'The turn ended normally.', fields: { usage: 'tokens used by this turn' } },
  turn_failed: {
    summary:
      'The turn failed (provider error, crash, missing binary, malformed output). The session still takes messages.',
    fields: { error: "a sentence saying why, from the provider's own error message when it gave one" },
  },
  turn_interrupted: {
    summary:
      'The turn was interrupted (session_interrupt, session_stop, turn_timeout_ms, or the daemon stopping or restarting).',
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
