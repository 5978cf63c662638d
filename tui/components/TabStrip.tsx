import { Box, Text } from 'ink';
import { TABS, type TabName } from '../tabs/names.js';

interface Props {
  tab: TabName;
  width: number;
  /** Shown after a tab's name: ` (2)` review comments. */
  badges: Partial<Record<TabName, string | undefined>>;
  /** Without colour the shown tab is bracketed, as its highlight would not show. */
  colour: boolean;
}

/** The top line: the right pane's tabs with their number keys, the shown one highlighted. */
export function TabStrip({ tab, width, badges, colour }: Props) {
  return (
    <Box width={width}>
      <Text wrap="truncate">
        {TABS.map(({ name, label }, index) => {
          const shown = name === tab;
          const [open, close] = shown && !colour ? ['[', ']'] : [' ', ' '];
          return (
            <Text key={name} inverse={shown} color={shown ? 'cyan' : undefined}>
              {`${open}${index + 1} ${label}${badges[name] ?? ''}${close}`}
            </Text>
          );
        })}
      </Text>
    </Box>
  );
}
