import { Box, Text } from 'ink';

export interface FormField {
  label: string;
  value: string;
  /** When set, left/right cycle through these instead of typing. */
  choices?: readonly string[];
}

interface Props {
  title: string;
  fields: readonly FormField[];
  active: number;
  error: string | undefined;
  width: number;
}

/** A small form: one field per line, Tab or Up/Down to move, Enter to submit, Esc to cancel. */
export function FormView({ title, fields, active, error, width }: Props) {
  return (
    <Box flexDirection="column" width={width} borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold>{title}</Text>
      {fields.map((field, index) => (
        <Text key={field.label} wrap="truncate">
          <Text color={index === active ? 'cyan' : 'gray'}>{field.label.padEnd(10)}</Text>
          {field.choices ? `‹ ${field.value} ›` : field.value}
          {index === active && !field.choices ? <Text inverse> </Text> : null}
        </Text>
      ))}
      <Text color="gray">Enter submits · Tab moves · ←/→ change a choice · Esc cancels</Text>
      {error ? <Text color="red">{error}</Text> : null}
    </Box>
  );
}
