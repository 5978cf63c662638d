import { Pane } from '../../components/Pane.js';
import type { TabContext, TabController } from '../tab.js';

/** The Checks tab. */
export function useChecksTab(context: TabContext): TabController {
  return {
    focus: 'checks',
    perform: () => undefined,
    hints: '',
    render: () => <Pane title="Checks" focused={context.focused} width={context.width} height={context.height} />,
  };
}
