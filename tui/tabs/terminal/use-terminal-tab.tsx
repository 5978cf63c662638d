import { Pane } from '../../components/Pane.js';
import type { TabContext, TabController } from '../tab.js';

/** The Terminal tab. */
export function useTerminalTab(context: TabContext): TabController {
  return {
    focus: 'terminal',
    perform: () => undefined,
    hints: '',
    render: () => <Pane title="Terminal" focused={context.focused} width={context.width} height={context.height} />,
  };
}
