import { Box, Text } from 'ink';
import { Pane } from '../../components/Pane.js';
import type { DocLine } from './view-lines.js';

interface Props {
  title: string;
  /** The lines on screen, numbered; empty while loading or for a file that is not shown. */
  lines: readonly DocLine[];
  /** Said instead of the text: binary, too big, loading. */
  message: string | undefined;
  /** The bottom line: a warning (conflict, changed on disk) or where the view is. */
  status: { text: string; tone: 'info' | 'warning' | 'error' };
  focused: boolean;
  width: number;
  height: number;
}

const TONES = { info: 'gray', warning: 'yellow', error: 'red' } as const;

/** A file with line numbers, read-only or with the editor's cursor. */
export function FileViewPane({ title, lines, message, status, focused, width, height }: Props) {
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      <Box flexDirection="column" height={Math.max(1, height - 2)}>
        {message !== undefined ? (
          <Text color="gray" wrap="truncate">
            {message}
          </Text>
        ) : (
          lines.map((line) => (
            <Text key={line.number} wrap="truncate">
              <Text color="gray">{`${line.number} `}</Text>
              <CursorText {...line} />
            </Text>
          ))
        )}
      </Box>
      <Text color={TONES[status.tone]} wrap="truncate">
        {status.text}
      </Text>
    </Pane>
  );
}

/** The text, with the cell under the cursor drawn inverse while editing. */
function CursorText({ text, cursor }: DocLine) {
  if (cursor === undefined) return <Text>{text === '' ? ' ' : text}</Text>;
  return (
    <Text>
      {cursor.before}
      <Text inverse>{cursor.at}</Text>
      {cursor.after}
    </Text>
  );
}
