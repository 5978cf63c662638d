import { Box, Text, useApp } from 'ink';
import { formHost, helpSize, useAppActions } from './app-actions.js';
import { HelpScreen } from './components/HelpScreen.js';
import { StatusBar } from './components/StatusBar.js';
import { TabStrip } from './components/TabStrip.js';
import { TreePane } from './components/TreePane.js';
import { FormView } from './forms/FormView.js';
import { useForms } from './forms/use-forms.js';
import { useKeyQueue } from './hooks/use-key-queue.js';
import { commandFor, dispatch, type Focus, keyName, type Performers } from './keymap.js';
import { TABS } from './tabs/names.js';
import { tabPerformers, useTabs } from './tabs/registry.js';
import type { ShownTab } from './tabs/tab.js';
import { type Area, tabContext, useWorkbench } from './state/workbench.js';

/** The status bar's keys where no tab has the keyboard. */
const AREA_HINTS: Partial<Record<Area, string>> = {
  tree: `j/k move · Enter open · n session · t terminal · a workspace · 1-${TABS.length} tabs · ? help · q quit`,
  form: 'Enter submit · Tab next field · ←/→ choice · Esc cancel',
  help: 'j/k scroll · Esc closes help',
};

export interface AppProps {
  /** Where `a` proposes to add a workspace. */
  cwd: string;
  /** Whether the terminal shows colour; without it, selections are drawn with a mark. */
  colour?: boolean;
}

/**
 * The workbench: the tree on the left, the selected tab on the right, the
 * status bar below. The App only lays these out and routes keys: each key's
 * command (keymap.ts) goes to its owner through one table, a key no binding
 * takes goes to whatever has the keyboard as text. State lives in the hooks
 * and tabs that own it.
 */
export function App({ cwd, colour = true }: AppProps) {
  const { exit } = useApp();
  const bench = useWorkbench(colour);
  const tabs = useTabs((name) => tabContext(bench, name));
  const forms = useForms(formHost(bench));
  const app = useAppActions({ bench, tabs, forms, cwd, exit });
  const controller: ShownTab = tabs[bench.tab];
  const { area, layout, size } = bench;
  const focus: Focus = area === 'pane' ? controller.focus : area;
  const performers: Performers = { app: app.perform, show: (tab) => bench.showTab(tab, true), ...tabPerformers(tabs) };

  useKeyQueue(focus, (input, key) => {
    const command = commandFor(keyName(input, key), focus);
    if (command) return dispatch(performers, command);
    if (area === 'pane') controller.type?.(input, key);
    if (area === 'form') forms.type(input, key);
    if (area === 'confirm') app.perform('confirm-no');
  });

  const hints = (area === 'confirm' ? app.question : AREA_HINTS[area]) ?? controller.hints;
  const statusBar = (
    <StatusBar
      state={bench.connection.state}
      retryInMs={bench.connection.retryInMs}
      error={bench.connection.error}
      node={bench.tree.status?.node}
      identity={bench.tree.status?.identity}
      hints={bench.notice ? `${bench.notice} · ${hints}` : hints}
      width={size.columns}
    />
  );
  if (area === 'help') {
    return (
      <Box flexDirection="column" width={size.columns} height={size.rows}>
        <HelpScreen {...helpSize(bench)} offset={app.helpOffset} />
        {statusBar}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={size.columns} height={size.rows}>
      <TabStrip
        tab={bench.tab}
        width={size.columns}
        badges={Object.fromEntries(TABS.map(({ name }) => [name, tabs[name].badge]))}
        colour={colour}
      />
      <Box>
        <TreePane
          rows={bench.picked.rows}
          selected={bench.picked.selected}
          focused={area === 'tree'}
          width={layout.treeWidth}
          height={layout.paneHeight}
          colour={colour}
        />
        <Box flexDirection="column" width={layout.paneWidth}>
          {bench.paused && (
            <Text color="yellow" wrap="truncate">
              {bench.paused}
            </Text>
          )}
          {forms.form ? <FormView {...forms.form} width={layout.paneWidth} /> : controller.render()}
        </Box>
      </Box>
      {statusBar}
    </Box>
  );
}
