import type { Key } from 'ink';
import { errorMessage } from '../../../src/protocol/errors.js';
import type { TerminalInfo } from '../../../src/protocol/terminal-types.js';
import { onNode } from '../../state/on-node.js';
import type { TabContext, TabController } from '../tab.js';
import type { TerminalAction } from './keys.js';
import { keyBytes } from './key-bytes.js';
import { TerminalPane } from './TerminalPane.js';
import { useFullScreen } from './use-full-screen.js';
import { useTerminalChoice } from './use-terminal-choice.js';
import { useTerminalStream } from './use-terminal-stream.js';

/** The emulator's size inside the pane: the border takes two columns, the title line one row. */
export function screenSize(context: Pick<TabContext, 'width' | 'height'>): { cols: number; rows: number } {
  return { cols: Math.max(2, context.width - 2), rows: Math.max(1, context.height - 1) };
}

/**
 * The Terminal tab: the chosen terminal's PTY screen drawn through a headless
 * xterm, keys sent to it while the pane has the keyboard, its size following
 * the pane's; `F` lends it the whole real terminal; `t` in the tree opens one.
 */
export function useTerminalTab(context: TabContext): TabController<TerminalAction> {
  const { client, selection, notify } = context;
  const { cols, rows } = screenSize(context);
  const choice = useTerminalChoice(context);
  const full = useFullScreen(notify);
  const stream = useTerminalStream({
    client,
    generation: context.generation,
    id: choice.id,
    node: choice.node,
    attached: context.active || full.active,
    cols,
    rows,
    focused: context.focused,
    holdSize: full.active,
  });
  // Keys go to the program from the moment a terminal is chosen: typed while the attach is on its
  // way they still reach it (an ended one says so), and a `q` typed then does not quit the app.
  const live = choice.id !== undefined && stream.error === undefined && stream.info?.status !== 'ended';

  const open = () => {
    const { workspace, node } = selection;
    if (!client || !workspace) return notify('Select a workspace first: t opens a terminal in it.');
    client.call('term_open', { workspace: workspace.id, cols, rows, ...onNode(node) }).then(
      ({ id }) => {
        choice.show(workspace.id, id, node);
        context.selectInTree(id);
        context.showTab('terminal', true);
      },
      (error: unknown) => notify(errorMessage(error)),
    );
  };

  const perform = (action: TerminalAction) => {
    if (action === 'open') return open();
    if (action === 'fullscreen') {
      if (!client || !choice.id) return notify('No terminal to show: t in the tree opens one.');
      return full.enter(client, choice.id);
    }
    if (action === 'restart' && stream.info?.status === 'ended') {
      stream.restart().catch((error: unknown) => notify(errorMessage(error)));
    }
  };

  const type = (input: string, key: Key): boolean => {
    if (!live) return false;
    const bytes = keyBytes(input, key, stream.modes());
    if (bytes === undefined) return false;
    // A key racing the program's exit fails; the status bar says so, the pane shows the exit.
    stream.write(bytes).catch((error: unknown) => notify(errorMessage(error)));
    return true;
  };

  return {
    focus: live ? 'terminal' : 'terminal-idle',
    perform,
    type,
    hints: live
      ? 'keys go to the terminal · Ctrl-] tree, then F full screen (Ctrl-] back)'
      : stream.info
        ? 'ended: r runs it again · F full screen · Esc tree'
        : 't in the tree opens a terminal · Esc tree',
    render: () => (
      <TerminalPane
        title={title(choice.id, stream.info, stream.error)}
        focused={context.focused}
        width={context.width}
        height={context.height}
        screen={choice.id ? stream.screen : undefined}
        message={
          choice.id
            ? undefined
            : selection.workspace
              ? 'No terminal here yet: t in the tree opens one.'
              : 'Select a workspace: t in the tree opens a terminal in it.'
        }
      />
    ),
  };
}

/** The title line: which terminal, what runs in it, and how it ended. */
function title(id: string | undefined, info: TerminalInfo | undefined, error: string | undefined): string {
  if (!id) return 'Terminal';
  if (error) return `Terminal ${id} · ${error}`;
  if (!info) return `Terminal ${id} · attaching…`;
  const program = info.command.map((part) => part.split('/').pop()).join(' ');
  if (info.status === 'running') return `Terminal ${id} · ${program}`;
  return `Terminal ${id} · ${program} · ${info.end_reason ?? 'ended'}`;
}
