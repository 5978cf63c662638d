import { Box, Text } from 'ink';
import type { TreeRow } from '../state/tree.js';

interface Props {
  rows: readonly TreeRow[];
  selected: number;
  focused: boolean;
  /** Border included. */
  width: number;
  height: number;
  /** Without colour the selected row is marked `›`, as its highlight would not show. */
  colour: boolean;
}

/** The mark of the selected row on a terminal without colour, in the first column (always blank otherwise). */
export const SELECTED_MARK = '›';

/** The left pane: nodes → projects → workspaces → sessions, scrolled to keep the selection in view. */
export function TreePane({ rows, selected, focused, width, height, colour }: Props) {
  const top = Math.max(0, Math.min(selected - Math.floor(height / 2), rows.length - height));
  const visible = rows.slice(top, top + height);
  const inner = Math.max(1, width - 2);
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height + 2}
      borderStyle="single"
      borderColor={focused ? 'cyan' : 'gray'}
    >
      {visible.map((row, index) => {
        const isSelected = top + index === selected;
        const text = rowText(row, inner);
        return (
          <Text
            key={row.id}
            inverse={isSelected && focused}
            bold={isSelected || row.kind === 'node' || row.kind === 'peer'}
            color={rowColor(row)}
            wrap="truncate"
          >
            {isSelected && !colour ? `${SELECTED_MARK}${text.slice(1)}` : text}
          </Text>
        );
      })}
    </Box>
  );
}

/**
 * A row in `width` columns: indented, its unseen mark, its label, and the
 * longest form of its badge that fits. A workspace's path too long for the
 * row keeps its end, the directory's own name.
 */
export function rowText(row: TreeRow, width: number): string {
  const marker = row.kind === 'session' && row.unseen ? '•' : ' ';
  const lead = `${'  '.repeat(row.depth)}${marker}`;
  const text = `${lead}${row.label}`;
  if (row.kind === 'workspace' && text.length > width) {
    return `${lead}…${row.label.slice(row.label.length - (width - lead.length - 1))}`.slice(0, width);
  }
  if (row.kind !== 'node' && row.kind !== 'peer') return text.slice(0, width);
  const badge = row.badge.find((form) => text.length + 1 + form.length <= width);
  return (badge === undefined ? text : `${text} ${badge}`).slice(0, width);
}

function rowColor(row: TreeRow): string | undefined {
  if (row.kind === 'node') return 'green';
  if (row.kind === 'peer') return row.online ? 'green' : 'gray';
  if (row.away) return 'gray';
  if (row.kind === 'terminal' && row.terminal.status === 'ended') return 'gray';
  if (row.kind === 'project') return 'cyan';
  if (row.kind === 'session' && row.session.status === 'failed') return 'red';
  if (row.kind === 'session' && row.session.status === 'running') return 'yellow';
  return undefined;
}
