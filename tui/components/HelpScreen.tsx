import { Box, Text } from 'ink';
import { BINDINGS, type Binding } from '../keymap.js';

const SECTIONS: { where: Binding['where']; title: string }[] = [
  { where: 'global', title: 'Everywhere' },
  { where: 'tree', title: 'Tree' },
  { where: 'events', title: 'Events' },
  { where: 'chat', title: 'Chat' },
  { where: 'form', title: 'Forms' },
  { where: 'help', title: 'This screen' },
];

/** Every key, drawn from the same table the dispatcher uses. */
export function HelpScreen({ width, height }: { width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="double" borderColor="cyan" paddingX={1}>
      <Text bold>Cortex keys</Text>
      {SECTIONS.map(({ where, title }) => (
        <Box key={where} flexDirection="column">
          <Text color="cyan">{title}</Text>
          {BINDINGS.filter((binding) => binding.where === where).map((binding) => (
            <Text key={`${where}:${binding.action}:${binding.keys.join()}`} wrap="truncate">
              {'  '}
              {binding.keys.join(', ').padEnd(18)} {binding.description}
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  );
}
