import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

interface Props {
  /** Bold first line inside the border. */
  title: string;
  focused: boolean;
  /** Inner size: the box is `width` wide and `height + 2` tall with its border. */
  width: number;
  height: number;
  children?: ReactNode;
}

/** The right pane's frame: a border that is cyan while the pane has the keyboard, and a title line. */
export function Pane({ title, focused, width, height, children }: Props) {
  return (
    <Box
      flexDirection="column"
      height={height + 2}
      width={width}
      borderStyle="single"
      borderColor={focused ? 'cyan' : 'gray'}
    >
      <Text bold wrap="truncate">
        {title}
      </Text>
      {children}
    </Box>
  );
}
