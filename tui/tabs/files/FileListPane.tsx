import { Text } from 'ink';
import { Pane } from '../../components/Pane.js';
import type { TreeLine } from './view-lines.js';

interface Props {
  title: string;
  /** Only the rows on screen: a folder of 100,000 files draws as fast as one of ten. */
  lines: readonly TreeLine[];
  /** Shown instead of the list (no workspace selected). */
  hint: string | undefined;
  focused: boolean;
  width: number;
  height: number;
}

/** The workspace's files as a tree; ignored ones grey, changed ones marked. */
export function FileListPane({ title, lines, hint, focused, width, height }: Props) {
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      {hint !== undefined ? (
        <Text color="gray" wrap="truncate">
          {hint}
        </Text>
      ) : (
        lines.map((line) => (
          <Text key={line.key} wrap="truncate" inverse={line.selected && focused} underline={line.selected && !focused}>
            <Text color={line.dim ? 'gray' : line.directory ? 'blue' : undefined}>{line.text}</Text>
            {line.mark === '' ? null : <Text color="yellow">{` ${line.mark}`}</Text>}
          </Text>
        ))
      )}
    </Pane>
  );
}
