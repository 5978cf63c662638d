import type { SessionEvent } from './protocol/session-events.js';

/**
 * One line (or a few) per event, for people: agent messages as text, commands
 * with their exit codes, file changes as paths. Returns null for events that
 * say nothing a reader needs (a command's start, when its end follows).
 */
export function formatEvent(event: SessionEvent): string | null {
  const p = event;
  switch (p.type) {
    case 'session_started':
      return `── session on ${p.payload.path} (${p.payload.provider}${p.payload.model ? `, ${p.payload.model}` : ''})`;
    case 'session_resumed':
      return `── session resumed by ${p.payload.by}`;
    case 'turn_steered':
      return `>> ${p.payload.prompt.split('\n').join('\n>> ')}`;
    case 'agent_message_delta':
    case 'command_output_delta':
      return p.payload.text;
    case 'approval_requested': {
      const what =
        p.payload.kind === 'command'
          ? `run ${p.payload.command ?? '?'} in ${p.payload.cwd}`
          : `change ${p.payload.changes.map((change) => change.path).join(', ')}`;
      const diffs = p.payload.changes.map((change) => indent(change.diff.trimEnd())).join('\n');
      return `? ${p.payload.request} asks to ${what}${p.payload.reason ? ` (${p.payload.reason})` : ''}: cortex session approve|deny ${p.session} ${p.payload.request}${diffs ? `\n${diffs}` : ''}`;
    }
    case 'approval_resolved':
      return `  ${p.payload.request} ${p.payload.decision.replace(/_/g, ' ')} by ${p.payload.by}${p.payload.reason ? ` (${p.payload.reason})` : ''}`;
    case 'stalled':
      return `… ${p.payload.message}`;
    case 'turn_queued':
      return `… queued (#${p.payload.position}): ${p.payload.prompt}`;
    case 'turn_started':
      // Every line of the prompt is quoted: otherwise the second line of a prompt reads like agent output.
      return `── turn ${p.turn}${p.payload.resumed ? ' (resumed)' : ''}\n> ${p.payload.prompt.split('\n').join('\n> ')}`;
    case 'agent_message':
      return p.payload.text;
    case 'reasoning':
      return `(thinking) ${p.payload.text}`;
    case 'command':
      if (p.payload.phase !== 'completed') return null;
      return `$ ${p.payload.command}  [exit ${p.payload.exit_code ?? '?'}]${p.payload.output ? `\n${indent(p.payload.output.trimEnd())}` : ''}`;
    case 'file_change':
      if (p.payload.phase !== 'completed') return null;
      return p.payload.changes.map((change) => `${change.kind.padEnd(6)} ${change.path}`).join('\n');
    case 'mcp_tool_call':
      return p.payload.phase === 'completed'
        ? `tool ${p.payload.server}.${p.payload.tool} (${p.payload.status})`
        : null;
    case 'web_search':
      return p.payload.phase === 'completed' ? `search: ${p.payload.query}` : null;
    case 'todo_list':
      return p.payload.items.map((item) => `${item.completed ? '[x]' : '[ ]'} ${item.text}`).join('\n');
    case 'error':
      return `error: ${p.payload.message}`;
    case 'stderr':
      return null;
    case 'notice':
      return `notice: ${p.payload.message}`;
    case 'turn_completed':
      return `── turn ${p.turn} done (${p.payload.usage.input_tokens} in, ${p.payload.usage.output_tokens} out tokens)`;
    case 'turn_failed':
      return `── turn ${p.turn} failed: ${p.payload.error}`;
    case 'turn_interrupted':
      return `── turn ${p.turn} interrupted: ${p.payload.reason}`;
    case 'session_stopped':
      return `── session stopped: ${p.payload.reason}`;
    case 'turn_diff':
      return p.payload.files.length === 0
        ? null
        : `── changed ${p.payload.files.length} file(s), +${p.payload.added} -${p.payload.removed}: ${p.payload.files
            .map((file) => file.path)
            .join(', ')}`;
    case 'check_result':
      return `check ${p.payload.ok ? 'passed' : 'FAILED'}: ${p.payload.command}  [exit ${p.payload.exit_code ?? p.payload.signal ?? '?'}, ${p.payload.duration_ms} ms]${p.payload.ok || !p.payload.tail ? '' : `\n${indent(p.payload.tail.trimEnd())}`}`;
    case 'raw':
      return `(${p.payload.provider_type})`;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/**
 * Events as a stream of text, the way `session events` prints them: a command shows as it starts, the
 * streamed pieces of a reply or of a command's output are written as they come (without line breaks of
 * their own), and what follows them in full (the complete message, the command's end) is not written
 * again: only the exit code.
 */
export class EventText {
  private readonly streamed = new Set<string>();
  private readonly commands = new Set<string>();
  private midLine = false;

  /** What to write for this event ('' for nothing). */
  next(event: SessionEvent): string {
    if (event.type === 'agent_message_delta' || event.type === 'command_output_delta') {
      this.streamed.add(event.payload.item_id);
      const { text } = event.payload;
      const out = event.type === 'command_output_delta' ? indentPiece(text, this.midLine) : text;
      this.midLine = !text.endsWith('\n');
      return out;
    }
    const text = this.lineOf(event);
    const lineBreak = this.midLine ? '\n' : '';
    this.midLine = false;
    return text === null ? lineBreak : `${lineBreak}${text}\n`;
  }

  /** What to write after the last event: the line break a streamed piece left open. */
  end(): string {
    return this.midLine ? '\n' : '';
  }

  private lineOf(event: SessionEvent): string | null {
    if (event.type === 'agent_message' && this.streamed.has(event.payload.item_id)) return null;
    if (event.type !== 'command') return formatEvent(event);
    const { item_id, phase, command, exit_code, output } = event.payload;
    if (phase === 'started') {
      this.commands.add(item_id);
      return `$ ${command}`;
    }
    if (phase !== 'completed' || !this.commands.has(item_id)) return formatEvent(event);
    const shown = this.streamed.has(item_id) || output === '' ? '' : `${indent(output.trimEnd())}\n`;
    return `${shown}  [exit ${exit_code ?? '?'}]`;
  }
}

/** Command output indented like formatEvent's, across pieces that may start mid-line. */
function indentPiece(text: string, midLine: boolean): string {
  const indented = text.replace(/\n(?=.)/g, '\n  ');
  return midLine ? indented : `  ${indented}`;
}

/** Events that end a turn. */
export function endsTurn(event: SessionEvent): boolean {
  return event.type === 'turn_completed' || event.type === 'turn_failed' || event.type === 'turn_interrupted';
}
