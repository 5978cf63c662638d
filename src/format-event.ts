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

/** Events that end a turn. */
export function endsTurn(event: SessionEvent): boolean {
  return event.type === 'turn_completed' || event.type === 'turn_failed' || event.type === 'turn_interrupted';
}
