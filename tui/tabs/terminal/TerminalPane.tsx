import { Text } from 'ink';
import { Pane } from '../../components/Pane.js';
import type { Run, ScreenSnapshot } from './screen-snapshot.js';

interface Props {
  title: string;
  focused: boolean;
  width: number;
  height: number;
  /** The terminal's screen; without one, `message` is shown instead. */
  screen: ScreenSnapshot | undefined;
  message: string | undefined;
}

/** The Terminal tab: a title line, then the emulator's screen row by row, each row as runs of styled text. */
export function TerminalPane({ title, focused, width, height, screen, message }: Props) {
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      {screen ? (
        screen.rows.map((runs, y) => (
          <Text key={y} wrap="truncate">
            {runs.length === 0 ? ' ' : runs.map((run, x) => <RunText key={x} run={run} />)}
          </Text>
        ))
      ) : (
        <Text color="gray" wrap="truncate">
          {message ?? ''}
        </Text>
      )}
    </Pane>
  );
}

function RunText({ run }: { run: Run }) {
  const { text, ...style } = run;
  return <Text {...style}>{text}</Text>;
}
