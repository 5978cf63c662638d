import { Text } from 'ink';
import type { Session } from '../../../src/protocol/runtime-types.js';
import { Pane } from '../../components/Pane.js';

interface Props {
  session: Session | undefined;
  draft: string;
  focused: boolean;
  width: number;
  height: number;
  notice: string | undefined;
}

/** The message box: Enter sends a turn (queued while one runs), Ctrl-J adds a line, Ctrl-C interrupts. */
export function ChatPane({ session, draft, focused, width, height, notice }: Props) {
  const lines = draft.split('\n');
  return (
    <Pane
      title={
        session
          ? `Message ${session.id} (${session.status}${session.queued ? `, ${session.queued} queued` : ''})`
          : 'Select a session to chat with.'
      }
      focused={focused}
      width={width}
      height={height}
    >
      <Text color="gray" wrap="truncate">
        Enter sends · Ctrl-J new line · Ctrl-C interrupts · Esc back to the tree
      </Text>
      {lines.slice(-Math.max(1, height - 3)).map((line, index, shown) => (
        <Text key={index} wrap="truncate">
          {index === 0 ? '> ' : '  '}
          {line}
          {focused && index === shown.length - 1 ? <Text inverse> </Text> : null}
        </Text>
      ))}
      {notice ? <Text color="yellow">{notice}</Text> : null}
    </Pane>
  );
}
