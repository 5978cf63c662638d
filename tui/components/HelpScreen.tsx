import { Box, Text } from 'ink';
import { BINDINGS, HELP_SECTIONS } from '../keymap.js';

export interface HelpLine {
  text: string;
  title: boolean;
}

/** The keys column: `ctrl+j, meta+enter` and the like fit in it. */
const KEYS_WIDTH = 18;
/** The box's border and padding take this many columns. */
const FRAME_COLUMNS = 4;

/**
 * Every key, drawn from the same table the dispatcher uses: a title per
 * section, then its bindings, a description too long for `width` wrapped
 * under itself rather than cut.
 */
export function helpLines(width: number): HelpLine[] {
  const room = Math.max(10, width - FRAME_COLUMNS - KEYS_WIDTH - 3);
  return HELP_SECTIONS.flatMap(({ where, title }) => [
    { text: title, title: true },
    ...BINDINGS.filter((binding) => binding.where === where).flatMap((binding) =>
      wrapWords(binding.description, room).map((part, index) => ({
        text: `  ${(index === 0 ? binding.keys.join(', ') : '').padEnd(KEYS_WIDTH)} ${part}`,
        title: false,
      })),
    ),
  ]);
}

/** Words in lines of at most `width` columns (a longer word is a line of its own). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/**
 * How far the help scrolls in a box `height` rows tall (0 when it all fits).
 * At 80×24 it does not fit: drawn whole, Ink squeezed the lines onto each
 * other and half the keys vanished, so the help scrolls instead.
 */
export function helpMaxOffset(width: number, height: number): number {
  const lines = helpLines(width).length;
  return lines <= height - 3 ? 0 : lines - Math.max(1, height - 4);
}

/**
 * The keys, over the whole screen but the status bar (the pane beside the
 * tree is too narrow for them at 80 columns), scrolled `offset` lines down
 * when the screen is too short for all of them.
 */
export function HelpScreen({ width, height, offset = 0 }: { width: number; height: number; offset?: number }) {
  const lines = helpLines(width);
  const maxOffset = helpMaxOffset(width, height);
  const rows = maxOffset > 0 ? Math.max(1, height - 4) : lines.length;
  const start = Math.max(0, Math.min(offset, maxOffset));
  const visible = lines.slice(start, start + rows);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="double" borderColor="cyan" paddingX={1}>
      <Text bold>Cortex keys</Text>
      {visible.map((line, index) => (
        <Text key={start + index} color={line.title ? 'cyan' : undefined} wrap="truncate">
          {line.text}
        </Text>
      ))}
      {maxOffset > 0 ? (
        <Text color="gray" wrap="truncate">
          {`j/k scroll · ${start + 1}–${start + visible.length} of ${lines.length}`}
        </Text>
      ) : null}
    </Box>
  );
}
