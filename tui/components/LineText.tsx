import { Text } from 'ink';
import type { Line } from '../state/event-lines.js';

/** One laid-out line, cut at the pane's edge: in its spans' styles when it has them. `mark` goes first. */
export function LineText({ line, mark = '' }: { line: Line; mark?: string }) {
  if (line.spans === undefined || line.spans.length === 0) {
    return (
      <Text color={line.color} bold={line.bold} wrap="truncate">
        {mark}
        {line.text === '' ? ' ' : line.text}
      </Text>
    );
  }
  return (
    <Text wrap="truncate">
      {mark}
      {line.spans.map((span, index) => (
        <Text key={index} color={span.color} bold={span.bold}>
          {span.text}
        </Text>
      ))}
    </Text>
  );
}
