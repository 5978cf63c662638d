import { Text } from 'ink';
import { Pane } from '../../components/Pane.js';
import { fitColumns, tableLine } from './cells.js';

/** What the Data tab draws in its pane: a table with a selected row, then lines below it. */
export interface DataScreen {
  title: string;
  /** A table (the tables, a page of records), or none for a view of lines only. */
  table?: { titles: readonly string[]; rows: readonly (readonly string[])[]; selected: number };
  /** Lines under the table: details, a record's JSON, the query box, a sentence. */
  lines: readonly string[];
  /** A line in red at the bottom (a bad query, a refused read). */
  error?: string;
}

interface Props extends DataScreen {
  focused: boolean;
  width: number;
  height: number;
}

/**
 * The Data tab's pane. The table is drawn here rather than with ink-table:
 * that component draws a rule between every two rows (half the rows at 24
 * lines), sizes columns by their content with no limit (a long value pushes
 * the line past the pane), hashes every row on every frame and cannot mark a
 * selected row; here each row is one line cut at the pane's edge.
 */
export function DataPane({ title, table, lines, error, focused, width, height }: Props) {
  const columns = table ? fitColumns(table.titles, table.rows) : [];
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      {table ? (
        <Text underline wrap="truncate">
          {tableLine(columns, table.titles)}
        </Text>
      ) : null}
      {table?.rows.map((cells, index) => (
        <Text key={index} inverse={focused && index === table.selected} wrap="truncate">
          {tableLine(columns, cells)}
        </Text>
      ))}
      {lines.map((line, index) => (
        <Text key={`line-${index}`} wrap="truncate">
          {line === '' ? ' ' : line}
        </Text>
      ))}
      {error !== undefined ? (
        <Text color="red" wrap="truncate">
          {error}
        </Text>
      ) : null}
    </Pane>
  );
}
