import { Box, Text } from 'ink';
import type { FormState } from './form-state.js';

type Props = Pick<FormState, 'title' | 'fields' | 'active' | 'error'> & { width: number };

/**
 * A small form: one field per line, the active one marked `›` (so it shows
 * without colour too), Tab or ↑/↓ to move, Enter to submit, Esc to cancel.
 */
export function FormView({ title, fields, active, error, width }: Props) {
  return (
    <Box flexDirection="column" width={width} borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold>{title}</Text>
      {fields.map((field, index) => (
        <Text key={field.label} wrap="truncate">
          <Text color={index === active ? 'cyan' : 'gray'}>
            {index === active ? '› ' : '  '}
            {field.label.padEnd(10)}
          </Text>
          {field.choices ? `‹ ${field.value} ›` : field.value}
          {index === active && !field.choices ? <Text inverse> </Text> : null}
        </Text>
      ))}
      <Text color="gray" wrap="truncate">
        Enter submits · Tab moves · ←/→ change a choice · Esc cancels
      </Text>
      {error ? <Text color="red">{error}</Text> : null}
    </Box>
  );
}
