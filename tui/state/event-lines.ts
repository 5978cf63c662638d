import type { SessionEvent } from '../../src/protocol/session-events.js';

export type LineColor = 'red' | 'green' | 'yellow' | 'cyan' | 'magenta' | 'gray' | 'blue';

/** A run of a line in one style (inline code in a reply, say). */
export interface Span {
  text: string;
  color?: LineColor;
  bold?: boolean;
}

/** One screen line; with `spans`, drawn in several styles (`text` is then their text, for tests and search). */
export interface Line {
  text: string;
  color?: LineColor;
  bold?: boolean;
  spans?: Span[];
}

/** How many output lines a command shows while collapsed. */
const COLLAPSED_OUTPUT = 3;

/**
 * The lines an event takes on screen at a given width: agent messages as
 * wrapped text, commands with their exit code and (collapsible) output, file
 * changes as paths, errors in red, turn boundaries with token usage.
 */
export function eventLines(event: SessionEvent, width: number, expanded: boolean): Line[] {
  const wrap: Wrap = (text, style = {}) => wrapText(text, width).map((line) => ({ text: line, ...style }));
  switch (event.type) {
    case 'session_started':
      return wrap(`── ${event.payload.provider} session in ${event.payload.path}`, { color: 'gray' });
    case 'turn_started':
      return [
        ...wrap(`── turn ${event.turn}${event.payload.resumed ? ' (resumed)' : ''} ──`, { color: 'cyan' }),
        ...wrap(`> ${event.payload.prompt}`, { bold: true }),
      ];
    case 'session_resumed':
      return wrap(`── session resumed by ${event.payload.by}`, { color: 'gray' });
    case 'turn_steered':
      return wrap(`>> ${event.payload.prompt}`, { bold: true });
    // Streamed pieces: the complete agent_message and command that follow them are drawn.
    case 'agent_message_delta':
    case 'command_output_delta':
      return [];
    case 'approval_requested':
    case 'approval_resolved':
      return approvalLines(event, wrap);
    case 'stalled':
      return wrap(`… ${event.payload.message}`, { color: 'yellow' });
    case 'turn_queued':
      return wrap(`… queued #${event.payload.position}: ${event.payload.prompt}`, { color: 'gray' });
    case 'agent_message':
      return wrap(event.payload.text);
    case 'reasoning':
      return wrap(event.payload.text, { color: 'gray' });
    case 'command':
      return commandLines(event, wrap, expanded);
    case 'file_change':
      if (event.payload.phase !== 'completed') return [];
      return event.payload.changes.flatMap((change) =>
        wrap(`${change.kind.padEnd(6)} ${change.path}`, { color: 'magenta' }),
      );
    case 'todo_list':
      return event.payload.items.flatMap((item) =>
        wrap(`${item.completed ? '☑' : '☐'} ${item.text}`, { color: 'blue' }),
      );
    case 'mcp_tool_call':
      return event.payload.phase === 'completed'
        ? wrap(`tool ${event.payload.server}.${event.payload.tool} ${event.payload.status}`, { color: 'blue' })
        : [];
    case 'web_search':
      return event.payload.phase === 'completed' ? wrap(`search ${event.payload.query}`, { color: 'blue' }) : [];
    case 'error':
      return wrap(`error: ${event.payload.message}`, { color: 'red' });
    case 'notice':
      return wrap(`notice: ${event.payload.message}`, { color: 'yellow' });
    case 'stderr':
      return [];
    case 'turn_completed': {
      const usage = event.payload.usage;
      return wrap(`── turn ${event.turn} done · ${usage.input_tokens} in · ${usage.output_tokens} out ──`, {
        color: 'cyan',
      });
    }
    case 'turn_failed':
      return wrap(`── turn ${event.turn} failed: ${event.payload.error}`, { color: 'red', bold: true });
    case 'turn_interrupted':
      return wrap(`── turn ${event.turn} interrupted: ${event.payload.reason}`, { color: 'yellow' });
    case 'session_stopped':
      return wrap(`── session stopped: ${event.payload.reason}`, { color: 'gray' });
    case 'turn_diff':
      return wrap(`diff: ${event.payload.files.length} file(s), +${event.payload.added} −${event.payload.removed}`, {
        color: 'magenta',
      });
    case 'check_result':
      return checkLines(event, wrap);
    case 'raw':
      return wrap(`(${event.payload.provider_type})`, { color: 'gray' });
  }
}

type Wrap = (text: string, style?: Omit<Line, 'text'>) => Line[];
type EventOf<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;

/** A completed command with its exit code and output, collapsed to a few lines unless expanded. */
function commandLines(event: EventOf<'command'>, wrap: Wrap, expanded: boolean): Line[] {
  if (event.payload.phase === 'started') return wrap(`$ ${event.payload.command}  …`, { color: 'yellow' });
  if (event.payload.phase !== 'completed') return [];
  const code = event.payload.exit_code;
  const output = event.payload.output.trimEnd();
  const lines = output === '' ? [] : output.split('\n');
  const shown = expanded ? lines : lines.slice(0, COLLAPSED_OUTPUT);
  return [
    ...wrap(`$ ${event.payload.command}  [exit ${code ?? '?'}]`, { color: code === 0 ? 'green' : 'red' }),
    ...shown.flatMap((line) => wrap(`  ${line}`, { color: 'gray' })),
    ...(shown.length < lines.length
      ? [{ text: `  … ${lines.length - shown.length} more lines (o shows all)`, color: 'gray' as const }]
      : []),
  ];
}

/** What the agent asks a person, and what they answered. */
function approvalLines(event: EventOf<'approval_requested' | 'approval_resolved'>, wrap: Wrap): Line[] {
  if (event.type === 'approval_resolved') {
    const { request, decision, by } = event.payload;
    return wrap(`  ${request} ${decision.replace(/_/g, ' ')} by ${by}`, { color: 'gray' });
  }
  const { request, kind, command, changes } = event.payload;
  const what =
    kind === 'command' ? `run ${command ?? '?'}` : `change ${changes.map((change) => change.path).join(', ')}`;
  return wrap(`? ${request} asks to ${what}`, { color: 'yellow', bold: true });
}

function checkLines(event: EventOf<'check_result'>, wrap: Wrap): Line[] {
  const { command, ok, exit_code, signal, duration_ms } = event.payload;
  const outcome = ok ? 'ok' : `failed (exit ${exit_code ?? signal ?? '?'})`;
  return wrap(`check ${command}: ${outcome} in ${duration_ms} ms`, { color: ok ? 'green' : 'red' });
}

/** Hard-wraps text to a width (one column per character), keeping blank lines. */
export function wrapText(text: string, width: number): string[] {
  const max = Math.max(1, width);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length <= max) {
      out.push(line);
      continue;
    }
    for (let start = 0; start < line.length; start += max) out.push(line.slice(start, start + max));
  }
  return out;
}
