import { Box, Text } from 'ink';
import type { TabName } from '../tabs/tab.js';

const TABS: readonly { name: TabName; label: string }[] = [
  { name: 'events', label: 'Events' },
  { name: 'chat', label: 'Chat' },
  { name: 'files', label: 'Files' },
  { name: 'diff', label: 'Diff' },
  { name: 'checks', label: 'Checks' },
  { name: 'terminal', label: 'Terminal' },
];

/** The top line: the right pane's tabs with their number keys, the shown one highlighted. */
export function TabStrip({
  tab,
  width,
  badges,
}: {
  tab: TabName;
  width: number;
  badges: Partial<Record<TabName, string>>;
}) {
  return (
    <Box width={width}>
      <Text wrap="truncate">
        {TABS.map(({ name, label }, index) => (
          <Text key={name} inverse={name === tab} color={name === tab ? 'cyan' : undefined}>
            {` ${index + 1} ${label}${badges[name] ?? ''} `}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
