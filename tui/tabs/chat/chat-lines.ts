import type { SessionEvent } from '../../../src/protocol/session-events.js';
import { eventLines, type Line, wrapText } from '../../state/event-lines.js';
import { markdownLines } from '../../state/markdown.js';

/** How a pending request says which keys answer it. */
export const ANSWER_KEYS = 'y approve · n deny · a always (↑ first while typing)';

/**
 * The lines an event takes in the conversation: replies as Markdown, each
 * command or file change on one line, a pending approval with the keys that
 * answer it; the rest (turns with their tokens, approvals answered, errors)
 * as the Events tab draws them.
 */
export function chatLines(event: SessionEvent, width: number, pending: ReadonlySet<string>): Line[] {
  const one = (text: string, style: Omit<Line, 'text'>): Line[] => [{ text: text.slice(0, width), ...style }];
  switch (event.type) {
    case 'agent_message':
      return markdownLines(event.payload.text, width);
    case 'command': {
      const { command, exit_code, phase } = event.payload;
      if (phase !== 'completed') return one(`$ ${command}  …`, { color: 'yellow' });
      return one(`$ ${command}  [exit ${exit_code ?? '?'}]`, { color: exit_code === 0 ? 'green' : 'red' });
    }
    case 'file_change': {
      if (event.payload.phase !== 'completed') return [];
      const paths = event.payload.changes.map((change) => `${change.kind} ${change.path}`).join(', ');
      return one(`✎ ${paths}`, { color: 'magenta' });
    }
    case 'approval_requested': {
      const asked = eventLines(event, width, false);
      if (!pending.has(event.payload.request)) return asked.map((line) => ({ ...line, color: 'gray', bold: false }));
      return [...asked, ...wrapText(`  ${ANSWER_KEYS}`, width).map((text) => ({ text, color: 'yellow' as const }))];
    }
    default:
      return eventLines(event, width, false);
  }
}
