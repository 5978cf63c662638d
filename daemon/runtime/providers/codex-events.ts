import type { MsgValue } from '../../../src/protocol/msgpack-types.js';
import { EMPTY_USAGE, type TokenUsage } from '../../../src/protocol/runtime-types.js';
import type { ItemPhase } from '../../../src/protocol/session-events.js';
import type { TurnSink } from './provider.js';

const OUTPUT_TAIL = 64 * 1024;

type Json = Record<string, unknown>;

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

/**
 * Turns `codex exec --json` lines into Cortex events: thread.started gives the
 * resume reference, items become typed events by kind and phase, turn.completed
 * carries usage, turn.failed and error say why a turn failed. Unknown event and
 * item types are kept as `raw` events, never dropped.
 */
export class CodexEventMapper {
  usage: TokenUsage | null = null;
  failure: string | null = null;
  lastError: string | null = null;

  constructor(private readonly sink: TurnSink) {}

  handle(event: Json): void {
    switch (event['type']) {
      case 'thread.started':
        if (typeof event['thread_id'] === 'string') this.sink.resumeRef(event['thread_id']);
        return;
      case 'turn.started':
        return;
      case 'turn.completed':
        this.usage = usageOf(event['usage']);
        return;
      case 'turn.failed': {
        const error = event['error'] as Json | undefined;
        this.failure = str(error?.['message']) || 'Codex reported that the turn failed.';
        return;
      }
      case 'error':
        this.lastError = str(event['message']) || 'Codex reported an error.';
        this.sink.event('error', { message: this.lastError });
        return;
      case 'item.started':
      case 'item.updated':
      case 'item.completed':
        this.item(
          event['item'] as Json | undefined,
          (event['type'] as string).slice('item.'.length) as ItemPhase,
          event,
        );
        return;
      default:
        this.raw(event);
    }
  }

  private item(item: Json | undefined, phase: ItemPhase, event: Json): void {
    if (item === undefined || typeof item !== 'object') return this.raw(event);
    const item_id = str(item['id']);
    switch (item['type']) {
      case 'agent_message':
        if (phase === 'completed') this.sink.event('agent_message', { item_id, text: str(item['text']) });
        return;
      case 'reasoning':
        if (phase === 'completed') this.sink.event('reasoning', { item_id, text: str(item['text']) });
        return;
      case 'command_execution':
        this.sink.event('command', {
          item_id,
          phase,
          command: str(item['command']),
          exit_code: typeof item['exit_code'] === 'number' ? item['exit_code'] : null,
          output: str(item['aggregated_output']).slice(-OUTPUT_TAIL),
          status: str(item['status']),
        });
        return;
      case 'file_change':
        this.sink.event('file_change', {
          item_id,
          phase,
          changes: (Array.isArray(item['changes']) ? (item['changes'] as Json[]) : []).map((change) => ({
            path: str(change['path']),
            kind: str(change['kind']),
          })),
          status: str(item['status']),
        });
        return;
      case 'mcp_tool_call':
        this.sink.event('mcp_tool_call', {
          item_id,
          phase,
          server: str(item['server']),
          tool: str(item['tool']),
          status: str(item['status']),
        });
        return;
      case 'web_search':
        this.sink.event('web_search', { item_id, phase, query: str(item['query']) });
        return;
      case 'todo_list':
        this.sink.event('todo_list', {
          item_id,
          phase,
          items: (Array.isArray(item['items']) ? (item['items'] as Json[]) : []).map((todo) => ({
            text: str(todo['text']),
            completed: todo['completed'] === true,
          })),
        });
        return;
      case 'error':
        this.lastError = str(item['message']);
        this.sink.event('error', { message: this.lastError });
        return;
      default:
        this.raw(event);
    }
  }

  private raw(event: Json): void {
    this.sink.event('raw', { provider_type: str(event['type']) || 'unknown', data: event as MsgValue });
  }
}

function usageOf(value: unknown): TokenUsage {
  if (value === null || typeof value !== 'object') return { ...EMPTY_USAGE };
  const usage = value as Json;
  return {
    input_tokens: num(usage['input_tokens']),
    cached_input_tokens: num(usage['cached_input_tokens']),
    output_tokens: num(usage['output_tokens']),
    reasoning_output_tokens: num(usage['reasoning_output_tokens']),
  };
}
