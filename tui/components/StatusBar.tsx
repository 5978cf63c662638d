import { Box, Text } from 'ink';
import type { ConnectionState } from '../state/connection.js';

interface Props {
  state: ConnectionState;
  retryInMs: number;
  error: string | undefined;
  node: string | undefined;
  identity: string | undefined;
  hints: string;
  width: number;
}

/** The bottom line: connection state, node, identity and the keys that matter here. */
export function StatusBar({ state, retryInMs, error, node, identity, hints, width }: Props) {
  const connection =
    state === 'open'
      ? '● connected'
      : state === 'connecting'
        ? `○ connecting${error ? ` (${error})` : ''}`
        : `◌ reconnecting in ${Math.ceil(retryInMs / 1000)}s${error ? ` (${error})` : ''}`;
  return (
    <Box width={width}>
      <Text wrap="truncate">
        <Text color={state === 'open' ? 'green' : 'yellow'}>{connection}</Text> {node ?? '?'} · {identity ?? '?'} ·{' '}
        {hints}
      </Text>
    </Box>
  );
}
