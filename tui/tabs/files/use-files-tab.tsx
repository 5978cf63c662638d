import { Pane } from '../../components/Pane.js';
import type { TabContext, TabController } from '../tab.js';

/** The Files tab. */
export function useFilesTab(context: TabContext): TabController {
  return {
    focus: 'files',
    perform: () => undefined,
    hints: '',
    render: () => <Pane title="Files" focused={context.focused} width={context.width} height={context.height} />,
  };
}
