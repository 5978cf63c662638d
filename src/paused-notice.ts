import type { NodeUnreachable } from './protocol/tree-types.js';

/**
 * What a viewer of a stream of another node is told while that node is out of
 * reach, e.g. "paused: beta unreachable (link down) since 10:42:13, resumes
 * when it is back". The TUI's panes and `cortex term attach` say the same.
 */
export function pausedNotice(notice: NodeUnreachable): string {
  const reason = notice.reason.replace(/_/g, ' ');
  const since = notice.last_heard === null ? '' : ` since ${clockTime(notice.last_heard)}`;
  return `paused: ${notice.node} unreachable (${reason})${since}, resumes when it is back`;
}

function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}
