import type { SessionEvent } from '../../../src/protocol/session-events.js';
import type { CheckResult } from '../../../src/protocol/workspace-types.js';

/** A configured check and the last result the TUI knows of. */
export interface CheckRow {
  command: string;
  last: CheckResult | undefined;
}

/** The newest result of each command among `results` (later entries are newer). */
export function latestByCommand(results: readonly CheckResult[]): Map<string, CheckResult> {
  const latest = new Map<string, CheckResult>();
  for (const result of results) {
    const known = latest.get(result.command);
    if (known === undefined || known.started <= result.started) latest.set(result.command, result);
  }
  return latest;
}

/** The check_result events of a session, as results (an event's time is when its check started, near enough). */
export function resultsOfEvents(events: readonly SessionEvent[]): CheckResult[] {
  return events.flatMap((event) =>
    event.type === 'check_result' ? [{ ...event.payload, started: event.time - event.payload.duration_ms }] : [],
  );
}

/** Every configured check with its last result, then results of commands no longer configured. */
export function checkRows(configured: readonly string[], results: readonly CheckResult[]): CheckRow[] {
  const latest = latestByCommand(results);
  const rows = configured.map((command) => ({ command, last: latest.get(command) }));
  for (const [command, last] of latest) if (!configured.includes(command)) rows.push({ command, last });
  return rows;
}

/** `✓ 1.2s` / `✗ exit 1 0.3s` / `✗ SIGTERM` / `· not run` */
export function resultSummary(result: CheckResult | undefined): string {
  if (result === undefined) return '· not run';
  const seconds = `${(result.duration_ms / 1000).toFixed(1)}s`;
  if (result.ok) return `✓ ${seconds}`;
  return `✗ ${result.exit_code !== null ? `exit ${result.exit_code}` : (result.signal ?? 'killed')} ${seconds}`;
}
