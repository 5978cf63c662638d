import { useEffect, useMemo, useState } from 'react';
import { errorMessage } from '../../../src/protocol/errors.js';
import type { SessionEvent } from '../../../src/protocol/session-events.js';
import type { CheckResult } from '../../../src/protocol/workspace-types.js';
import { onNode } from '../../state/on-node.js';
import type { TabContext, TabController } from '../tab.js';
import type { ChecksAction } from './keys.js';
import { checkRows, resultsOfEvents } from './check-rows.js';
import { ChecksPane } from './ChecksPane.js';

const NO_CHECKS: readonly string[] = [];
const NO_EVENTS: readonly SessionEvent[] = [];
const NO_RESULTS: readonly CheckResult[] = [];

/**
 * The Checks tab: the project's checks with the last result of each, from
 * the open session's check_result events, from runs started here, and from
 * runs anyone starts outside a session (`workspace:ID` notifications).
 */
export function useChecksTab(context: TabContext): TabController<ChecksAction> {
  const { client, selection, notify } = context;
  const configured = selection.project?.checks ?? NO_CHECKS;
  // The open session's loaded events, when it is the selected one: checks run after its turns are among
  // them. Only while shown: hidden, the tab read the whole event window for every batch streamed in.
  const events = context.active && selection.session ? context.open.events.events : NO_EVENTS;
  const workspace = selection.workspace?.id;
  const [running, setRunning] = useState(false);
  const [cursor, setCursor] = useState(0);
  const { results: ownResults, add: addResults } = useRunResults(context, workspace);

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
    client.call('check_run', { workspace, session, ...onNode(selection.node) }, { timeoutMs: 0 }).then(
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
      if (action === 'run') return run();
      if (action === 'up') return setCursor(Math.max(0, selected - 1));
      setCursor(Math.min(rows.length - 1, selected + 1));
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

/**
 * Results of check runs in the workspace outside the open session: those
 * started here, and (while the tab is shown) those anyone starts, told by
 * `workspace:ID`. Another workspace starts with none.
 */
function useRunResults({ client, generation, active, selection }: TabContext, workspace: string | undefined) {
  const node = selection.node;
  const [seen, setSeen] = useState<{ workspace: string | undefined; results: CheckResult[] }>({
    workspace,
    results: [],
  });
  const add = (forWorkspace: string, results: CheckResult[]) =>
    setSeen((current) => ({
      workspace: forWorkspace,
      results: [...(current.workspace === forWorkspace ? current.results : []), ...results],
    }));
  useEffect(() => {
    if (!client || !active || workspace === undefined) return;
    const topic = `workspace:${workspace}`;
    const stop = client.onNotification('check_result', (result) => {
      if (result.workspace === workspace) add(workspace, [result]);
    });
    client.call('subscribe', { topic, ...onNode(node) }).catch(() => undefined);
    return () => {
      stop();
      client.call('unsubscribe', { topic, ...onNode(node) }).catch(() => undefined);
    };
  }, [client, generation, active, workspace, node]);
  return { results: seen.workspace === workspace ? seen.results : NO_RESULTS, add };
}
