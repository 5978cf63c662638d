import { useEffect, useMemo, useState } from 'react';
import { errorMessage } from '../../../src/protocol/errors.js';
import type { SessionEvent } from '../../../src/protocol/session-events.js';
import type { CheckResult } from '../../../src/protocol/workspace-types.js';
import type { TabContext, TabController } from '../tab.js';
import { checkRows, resultsOfEvents } from './check-rows.js';
import { ChecksPane } from './ChecksPane.js';

interface ChecksSource {
  /** The commands configured for the selected workspace's project. */
  configured: readonly string[];
  /** The loaded events of the open session: checks run after its turns are among them. */
  events: readonly SessionEvent[];
}

/**
 * The Checks tab: the project's checks with the last result of each, from
 * the open session's check_result events, from runs started here, and from
 * runs anyone starts outside a session (`workspace:ID` notifications).
 */
export function useChecksTab(context: TabContext, { configured, events }: ChecksSource): TabController {
  const { client, generation, active, selection, notify } = context;
  const workspace = selection.workspace?.id;
  const [seen, setSeen] = useState<{ workspace: string | undefined; results: CheckResult[] }>({
    workspace,
    results: [],
  });
  const [running, setRunning] = useState(false);
  const [cursor, setCursor] = useState(0);
  const ownResults = seen.workspace === workspace ? seen.results : [];
  const addResults = (forWorkspace: string, results: CheckResult[]) =>
    setSeen((current) => ({
      workspace: forWorkspace,
      results: [...(current.workspace === forWorkspace ? current.results : []), ...results],
    }));

  useEffect(() => {
    if (!client || !active || workspace === undefined) return;
    const topic = `workspace:${workspace}`;
    const stop = client.onNotification('check_result', (result) => {
      if (result.workspace === workspace) addResults(workspace, [result]);
    });
    client.call('subscribe', { topic }).catch(() => undefined);
    return () => {
      stop();
      client.call('unsubscribe', { topic }).catch(() => undefined);
    };
  }, [client, generation, active, workspace]);

  const sessionResults = useMemo(() => resultsOfEvents(events), [events]);
  const rows = useMemo(
    () => checkRows(configured, [...sessionResults, ...ownResults]),
    [configured, sessionResults, ownResults],
  );
  const selected = Math.min(cursor, Math.max(0, rows.length - 1));

  const run = () => {
    if (!client || workspace === undefined) return notify('Select a workspace to run its checks.');
    if (running) return notify('The checks are running already.');
    setRunning(true);
    const session = selection.session?.id;
    // Checks may run for minutes (check_timeout_ms): no call timeout.
    client.call('check_run', { workspace, session }, { timeoutMs: 0 }).then(
      ({ results }) => {
        setRunning(false);
        // With a session they come back as its events as well; the newest result per command wins.
        addResults(workspace, results);
        const failed = results.filter((result) => !result.ok).length;
        notify(failed === 0 ? `${results.length} check(s) passed` : `${failed} of ${results.length} check(s) failed`);
      },
      (error: unknown) => {
        setRunning(false);
        notify(errorMessage(error));
      },
    );
  };

  return {
    focus: 'checks',
    perform: (action) => {
      if (action === 'checks-run') return run();
      if (action === 'checks-up') return setCursor(Math.max(0, selected - 1));
      if (action === 'checks-down') return setCursor(Math.min(rows.length - 1, selected + 1));
    },
    hints: 'r run checks · j/k select · Tab tree · ? help',
    render: () => (
      <ChecksPane
        workspace={selection.workspace?.path}
        rows={rows}
        selected={selected}
        running={running}
        focused={context.focused}
        width={context.width}
        height={context.height}
      />
    ),
  };
}
