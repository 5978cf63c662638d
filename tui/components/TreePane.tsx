import { Box, Text } from 'ink';
import type { TreeRow } from '../state/tree.js';

interface Props {
  rows: readonly TreeRow[];
  selected: number;
  focused: boolean;
  width: number;
  height: number;
}

/** The left pane: nodes → projects → workspaces → sessions, scrolled to keep the selection in view. */
export function TreePane({ rows, selected, focused, width, height }: Props) {
  const top = Math.max(0, Math.min(selected - Math.floor(height / 2), rows.length - height));
  const visible = rows.slice(top, top + height);
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
        const indent = '  '.repeat(row.depth);
        const marker = row.kind === 'session' && row.unseen ? '•' : ' ';
        const detail = row.kind === 'node' || row.kind === 'peer' ? ` ${row.badge}` : '';
        const text = `${indent}${marker}${row.label}${detail}`.slice(0, Math.max(1, width - 2));
        return (
          <Text
            key={row.id}
            inverse={isSelected && focused}
            bold={isSelected || row.kind === 'node' || row.kind === 'peer'}
            color={rowColor(row)}
            wrap="truncate"
          >
            {text}
          </Text>
        );
      })}
    </Box>
  );
}

function rowColor(row: TreeRow): string | undefined {
  if (row.kind === 'node') return 'green';
  if (row.kind === 'peer') return row.peer.state === 'connected' ? 'green' : 'gray';
  if (row.kind === 'terminal' && row.terminal.status === 'ended') return 'gray';
  if (row.kind === 'project') return 'cyan';
  if (row.kind === 'session' && row.session.status === 'failed') return 'red';
  if (row.kind === 'session' && row.session.status === 'running') return 'yellow';
  return undefined;
}
