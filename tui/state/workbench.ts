import { type Dispatch, type SetStateAction, useCallback, useState } from 'react';
import { useNotice } from '../hooks/use-notice.js';
import { pausedLine, usePausedStreams } from '../hooks/use-paused-streams.js';
import { useSessionEvents } from '../hooks/use-session-events.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useTreeData } from '../hooks/use-tree-data.js';
import type { TreeSource } from './tree.js';
import type { TabName } from '../tabs/names.js';
import type { OpenSession, TabContext } from '../tabs/tab.js';
import { type Connection, useConnection } from './connection.js';
import { type Layout, layoutFor } from './layout.js';
import { type TreeSelection, useSelection } from './use-selection.js';

/** Where the keyboard is, coarsely: the pane's own modes come from its tab. */
export type Area = 'tree' | 'pane' | 'form' | 'help' | 'confirm';

/** What the app, its actions and every tab share: the connection, the tree and where the keyboard is. */
export interface Workbench {
  connection: Connection;
  size: { columns: number; rows: number };
  layout: Layout;
  tree: TreeSource;
  picked: TreeSelection;
  open: OpenSession;
  /** Over the right pane while a stream of the shown objects' node is paused (it takes the pane's first row). */
  paused: string | undefined;
  notice: string | undefined;
  notify: (text: string | undefined) => void;
  area: Area;
  setArea: Dispatch<SetStateAction<Area>>;
  tab: TabName;
  showTab: (tab: TabName, focus: boolean) => void;
  /** The terminal shows colour; without it, selections are drawn with a mark. */
  colour: boolean;
}

export function useWorkbench(colour: boolean): Workbench {
  const connection = useConnection();
  const size = useTerminalSize();
  const tree = useTreeData();
  const picked = useSelection(tree);
  const events = useSessionEvents(picked.opened?.id, picked.openedNode);
  const paused = pausedLine(usePausedStreams(), [picked.openedNode, picked.selection.node]);
  const { notice, notify } = useNotice();
  const [area, setArea] = useState<Area>('tree');
  const [tab, setTab] = useState<TabName>('events');
  const showTab = useCallback((next: TabName, focus: boolean) => {
    setTab(next);
    if (focus) setArea('pane');
  }, []);
  return {
    connection,
    size,
    layout: layoutFor(size, paused !== undefined),
    tree,
    picked,
    open: { session: picked.opened, node: picked.openedNode, events },
    paused,
    notice,
    notify,
    area,
    setArea,
    tab,
    showTab,
    colour,
  };
}

/** What the tab `name` is given: the shared state, and whether it is shown and has the keyboard. */
export function tabContext(bench: Workbench, name: TabName): TabContext {
  return {
    client: bench.connection.client,
    generation: bench.connection.generation,
    selection: bench.picked.selection,
    open: bench.open,
    active: bench.tab === name && bench.area !== 'help',
    focused: bench.tab === name && bench.area === 'pane',
    width: bench.layout.paneWidth,
    height: bench.layout.rightHeight,
    notify: bench.notify,
    showTab: bench.showTab,
    selectInTree: bench.picked.select,
  };
}
