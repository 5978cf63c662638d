import { Pane } from '../../components/Pane.js';
import type { TabContext, TabController } from '../tab.js';

/** What to show: a session turn's diff (optionally scrolled to one file), or the workspace's diff. */
export type DiffTarget = { kind: 'turn'; session: string; turn: number; path?: string } | { kind: 'workspace' };

export interface DiffTab extends TabController {
  /** Shows a diff (Enter on a file change in the Events tab lands here). */
  show: (target: DiffTarget) => void;
  /** Review comments gathered on hunks, waiting to go out with the next turn. */
  comments: number;
  /** The next turn's prompt: the gathered comments (quoting file and lines), then `message`; clears them. */
  takePrompt: (message: string) => string;
}

/** The Diff tab. */
export function useDiffTab(context: TabContext): DiffTab {
  return {
    focus: 'diff',
    perform: () => undefined,
    hints: '',
    render: () => <Pane title="Diff" focused={context.focused} width={context.width} height={context.height} />,
    show: () => undefined,
    comments: 0,
    takePrompt: (message) => message,
  };
}
