import { Box, Text } from 'ink';
import { BINDINGS, HELP_SECTIONS } from '../keymap.js';

export interface HelpLine {
  text: string;
  title: boolean;
}

/** Every key, drawn from the same table the dispatcher uses: a title per section, then its bindings. */
export function helpLines(): HelpLine[] {
  return HELP_SECTIONS.flatMap(({ where, title }) => [
    { text: title, title: true },
    ...BINDINGS.filter((binding) => binding.where === where).map((binding) => ({
      text: `  ${binding.keys.join(', ').padEnd(18)} ${binding.description}`,
      title: false,
    })),
  ]);
}

/**
 * How far the help scrolls in a box `height` rows tall (0 when it all fits).
 * At 80×24 it does not fit: drawn whole, Ink squeezed the lines onto each
 * other and half the keys vanished, so the help scrolls instead.
 */
export function helpMaxOffset(height: number): number {
  const lines = helpLines().length;
  return lines <= height - 3 ? 0 : lines - Math.max(1, height - 4);
}

/** The keys, scrolled `offset` lines down when the screen is too short for all of them. */
export function HelpScreen({ width, height, offset = 0 }: { width: number; height: number; offset?: number }) {
  const lines = helpLines();
  const scrolls = helpMaxOffset(height) > 0;
  const rows = scrolls ? Math.max(1, height - 4) : lines.length;
  const start = Math.max(0, Math.min(offset, helpMaxOffset(height)));
  const visible = lines.slice(start, start + rows);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="double" borderColor="cyan" paddingX={1}>
      <Text bold>Cortex keys</Text>
      {visible.map((line, index) => (
        <Text key={start + index} color={line.title ? 'cyan' : undefined} wrap="truncate">
          {line.text}
        </Text>
      ))}
      {scrolls ? (
        <Text color="gray" wrap="truncate">
          {`j/k scroll · ${start + 1}–${start + visible.length} of ${lines.length}`}
        </Text>
      ) : null}
    </Box>
  );
}
