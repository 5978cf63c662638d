import { Text } from 'ink';
import { Pane } from '../../components/Pane.js';
import { wrapText } from '../../state/event-lines.js';
import { type CheckRow, resultSummary } from './check-rows.js';

interface Props {
  workspace: string | undefined;
  rows: readonly CheckRow[];
  selected: number;
  running: boolean;
  focused: boolean;
  width: number;
  height: number;
}

/** The checks, one line each with its last result, and the output tail of the selected one below. */
export function ChecksPane({ workspace, rows, selected, running, focused, width, height }: Props) {
  const title =
    workspace === undefined
      ? 'Checks: select a workspace in the tree.'
      : `Checks · ${workspace}${running ? ' · running…' : ''}`;
  const inner = Math.max(10, width - 2);
  const body = Math.max(1, height - 1);
  const list = rows.slice(0, Math.max(1, Math.floor(body / 2)));
  const chosen = rows[selected];
  const tail = chosen?.last?.tail.trimEnd() ?? '';
  const tailRoom = body - list.length - 1;
  const tailLines =
    tail === ''
      ? []
      : tail
          .split('\n')
          .flatMap((line) => wrapText(line, inner))
          .slice(-tailRoom);
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      {workspace !== undefined && rows.length === 0 ? (
        <Text color="gray" wrap="truncate">
          No checks: cortex project set NAME --check CMD
        </Text>
      ) : null}
      {list.map((row, index) => (
        <Text
          key={row.command}
          inverse={focused && index === selected}
          color={row.last === undefined ? 'gray' : row.last.ok ? 'green' : 'red'}
          wrap="truncate"
        >
          {`${resultSummary(row.last).padEnd(14)} ${row.command}`}
        </Text>
      ))}
      {chosen?.last ? (
        <Text color="gray" wrap="truncate">
          {`── ${chosen.command}: last ${tailLines.length} line(s) of output`}
        </Text>
      ) : null}
      {tailLines.map((line, index) => (
        <Text key={index} wrap="truncate">
          {line === '' ? ' ' : line}
        </Text>
      ))}
    </Pane>
  );
}
