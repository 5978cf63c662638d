import type { FileChangeDetail, ItemPhase } from '../../../../src/protocol/session-events.js';
import type { TurnSink } from '../provider.js';
import type { FileUpdateChange, ThreadItem } from './codex-protocol.js';

const OUTPUT_TAIL = 64 * 1024;

/** Codex's camelCase statuses in the snake_case the exec provider's events use. */
const STATUS: Record<string, string> = { inProgress: 'in_progress', completed: 'completed', failed: 'failed' };
const statusOf = (status: string): string => STATUS[status] ?? status;

/** A file change as Cortex events carry it. */
export function changeDetails(changes: readonly FileUpdateChange[]): FileChangeDetail[] {
  return changes.map((change) => ({ path: change.path, kind: change.kind.type, diff: change.diff }));
}

/**
 * One thread item started or completed, as Cortex events: agent messages and reasoning once complete (their
 * text streamed as deltas before), commands and file changes at both ends, the rest as raw events. The
 * user's own message is not repeated (turn_started has it).
 */
export function emitItem(item: ThreadItem, phase: ItemPhase, sink: TurnSink): void {
  switch (item.type) {
    case 'userMessage':
    case 'hookPrompt':
      return;
    case 'agentMessage':
      if (phase === 'completed') sink.event('agent_message', { item_id: item.id, text: item.text });
      return;
    case 'reasoning': {
      const text = (item.summary.length > 0 ? item.summary : item.content).join('\n');
      if (phase === 'completed' && text !== '') sink.event('reasoning', { item_id: item.id, text });
      return;
    }
    case 'commandExecution':
      sink.event('command', {
        item_id: item.id,
        phase,
        command: item.command,
        exit_code: item.exitCode,
        output: (item.aggregatedOutput ?? '').slice(-OUTPUT_TAIL),
        status: statusOf(item.status),
      });
      return;
    case 'fileChange':
      sink.event('file_change', {
        item_id: item.id,
        phase,
        changes: changeDetails(item.changes),
        status: statusOf(item.status),
      });
      return;
    case 'mcpToolCall':
      sink.event('mcp_tool_call', {
        item_id: item.id,
        phase,
        server: item.server,
        tool: item.tool,
        status: statusOf(item.status),
      });
      return;
    case 'webSearch':
      sink.event('web_search', { item_id: item.id, phase, query: item.query });
      return;
    default:
      if (phase === 'completed') sink.event('raw', { provider_type: `item/${item.type}`, data: item });
  }
}
