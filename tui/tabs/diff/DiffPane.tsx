import { Box, Text } from 'ink';
import { Pane } from '../../components/Pane.js';
import type { LineColor } from './diff-layout.js';

export interface PaneLine {
  text: string;
  color?: LineColor;
  bold?: boolean;
  /** Drawn reversed: the current file in the list, the current hunk's `@@` line. */
  inverse?: boolean;
}

interface Props {
  title: string;
  focused: boolean;
  /** The box is `width` wide and `height + 2` tall with its border. */
  width: number;
  height: number;
  /** The compact file list, already cut to the rows it may take. */
  files: readonly PaneLine[];
  /** The diff lines in the window, or a sentence when there is no diff to show. */
  body: readonly PaneLine[];
  /** A last row: the comment being typed, or the revert question. */
  footer?: PaneLine;
}

function Row({ line }: { line: PaneLine }) {
  return (
    <Text color={line.color} bold={line.bold} inverse={line.inverse} wrap="truncate">
      {line.text === '' ? ' ' : line.text}
    </Text>
  );
}

/** The Diff tab: a title, the file list, the window of diff lines, and the comment or question being asked. */
export function DiffPane({ title, focused, width, height, files, body, footer }: Props) {
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      {files.map((line, index) => (
        <Row key={`file-${index}`} line={line} />
      ))}
      {body.map((line, index) => (
        <Row key={index} line={line} />
      ))}
      {footer ? (
        <>
          <Box flexGrow={1} />
          <Row line={footer} />
        </>
      ) : null}
    </Pane>
  );
}
